"""Running the Alembic migrations from code, with the scripts found inside this package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
_PG_LOCK = 0x736D6D6777  # any constant; the same in every process that migrates


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` pointing at the packaged migrations, independent of the cwd.

    Usable with any ``alembic.command``, e.g. ``command.history(alembic_config())``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade the database behind a synchronous `connection` to `revision`."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade `engine`'s database to `revision` in one transaction.

    Safe to run from several processes at once: PostgreSQL serialises them on an advisory lock,
    SQLite on its write lock (``BEGIN IMMEDIATE``); the later ones find nothing to do.
    """
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        await connection.run_sync(upgrade, revision)
