"""``Store``: the ledger's one entry point, a connection pool plus the query groups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gateway.store.account_checks import AccountCheckQueries
from gateway.store.account_movements import MovementQueries
from gateway.store.accounts import AccountQueries
from gateway.store.api_keys import ApiKeyQueries
from gateway.store.base import Clock, utcnow
from gateway.store.cancels import CancelQueries
from gateway.store.catalog import CatalogQueries
from gateway.store.engine import autocommit, create_engine, reader
from gateway.store.idempotency import IdempotencyQueries
from gateway.store.migrate import migrate
from gateway.store.orders import OrderQueries
from gateway.store.outbox import OutboxQueries
from gateway.store.prices import PriceQueries
from gateway.store.priority import PriorityQueries
from gateway.store.refills import RefillQueries
from gateway.store.split_orders import SplitQueries
from gateway.store.sync import SyncQueries
from gateway.store.webhook_deliveries import WebhookDeliveryQueries
from gateway.store.webhook_endpoints import WebhookEndpointQueries


class Store(
    OrderQueries,
    IdempotencyQueries,
    CatalogQueries,
    PriceQueries,
    ApiKeyQueries,
    AccountQueries,
    MovementQueries,
    AccountCheckQueries,
    OutboxQueries,
    RefillQueries,
    SyncQueries,
    PriorityQueries,
    CancelQueries,
    WebhookEndpointQueries,
    WebhookDeliveryQueries,
    SplitQueries,
):
    """The order ledger and everything else that must survive a restart.

        store = await Store.connect("sqlite+aiosqlite:///smm-gateway.db")
        await store.migrate()
        try:
            row = await store.create_order(client_id="acme", request=request)
        finally:
            await store.aclose()

    SQLite (WAL) and PostgreSQL (asyncpg) behave the same through this interface.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._reader = reader(engine)
        self._single = autocommit(engine)
        self._clock = clock

    @classmethod
    async def connect(cls, url: str | URL, *, clock: Clock = utcnow, **engine_options: Any) -> Self:
        """Open a pool on `url` (``sqlite+aiosqlite:///path.db`` or ``postgresql+asyncpg://...``;
        plain ``sqlite://`` and ``postgresql://`` are mapped to those drivers) and check that
        the database answers."""
        engine = create_engine(url, **engine_options)
        try:
            async with engine.connect():
                pass
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, clock=clock)

    @property
    def engine(self) -> AsyncEngine:
        """The underlying engine, for tools that need one (migrations, diagnostics)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision`; a no-op when it is already there."""
        await migrate(self._engine, revision)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed on success and rolled back on error.

        Pass it as ``tx=`` to the query methods to make several writes atomic.
        """
        async with self._engine.begin() as connection:
            yield connection

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # The URL may carry a password; show only what identifies the database.
        url = self._engine.url
        return f"<Store {url.get_backend_name()} {url.host or ''}/{url.database or ''}>"
