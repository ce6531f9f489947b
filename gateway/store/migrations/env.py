"""Alembic environment for the ledger; needs no ``alembic.ini``.

Three ways in:

* ``Store.migrate()`` hands over an open connection in ``config.attributes["connection"]``;
* online, standalone: the URL comes from the ``sqlalchemy.url`` option or the
  ``SMM_GATEWAY_DATABASE_URL`` environment variable and runs on an async engine;
* offline (``--sql``): the same URL, rendered as a SQL script.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from gateway.store.engine import create_engine, database_url
from gateway.store.tables import metadata
from gateway.store.types import Json, Money, UTCDateTime

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("SMM_GATEWAY_DATABASE_URL")
    if not url:
        raise RuntimeError("set sqlalchemy.url or SMM_GATEWAY_DATABASE_URL to migrate")
    return url


def _render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | Literal[False]:
    # Autogenerate would otherwise write the ledger's column types with their impl arguments
    # (``Money(length=40)``) and without an import.
    if kind == "type" and isinstance(obj, Json | Money | UTCDateTime):
        name = type(obj).__name__
        autogen.imports.add(f"from gateway.store.types import {name}")
        return f"{name}()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    url = database_url(_url())
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_engine(_url(), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
elif (given := config.attributes.get("connection")) is not None:
    _configure(given)
else:
    asyncio.run(run_online())
