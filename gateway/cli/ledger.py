"""Opening the ledger for a command: a database that cannot be opened is one line naming it
(its password hidden) and why, not a driver's exception with its trace and links."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from gateway.config import ConfigError
from gateway.store import Store

if TYPE_CHECKING:
    from gateway.config import Settings
    from gateway.core import Gateway


def shown(url: str) -> str:
    """`url` as it may be printed: the password, if any, as ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable database URL)"


def reason(exc: BaseException) -> str:
    """Why the database could not be opened, in the driver's own words, on one line."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    elif isinstance(exc, TimeoutError):
        text = "no answer in time"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


@contextlib.contextmanager
def ledger_errors(url: str) -> Iterator[None]:
    """Turn a failure to reach or read the ledger at `url` into a one-line `ConfigError`."""
    try:
        yield
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        raise ConfigError(f"cannot open the ledger at {shown(url)}: {reason(exc)}") from exc


async def connect_store(url: str, *, migrate: bool = True) -> Store:
    """The store at `url`, connected and (unless not `migrate`) migrated."""
    with ledger_errors(url):
        store = await Store.connect(url)
        try:
            if migrate:
                await store.migrate()
        except BaseException:
            await store.aclose()
            raise
        return store


async def open_gateway(settings: Settings) -> Gateway:
    """The gateway core of `settings`, its ledger connected and migrated."""
    from gateway.core import Gateway

    with ledger_errors(settings.gateway.database_url):
        return await Gateway.open(settings)


def check_ledger(settings: Settings) -> None:
    """Connect to the ledger once and let go, so that a process about to serve fails here,
    in one line, rather than in its server's startup."""

    async def run() -> None:
        store = await connect_store(settings.gateway.database_url, migrate=False)
        await store.aclose()

    asyncio.run(run())
