"""The order ledger: orders and their history, idempotency keys, catalog ids, price history,
API keys, client accounts and their money, webhooks and the outbox. SQLAlchemy Core, async;
SQLite (WAL) or PostgreSQL.

    store = await Store.connect("sqlite+aiosqlite:///smm-gateway.db")
    await store.migrate()
"""

from gateway.store import quality_tables as quality_tables  # declares provider_quality
from gateway.store.account_checks import MarginRow
from gateway.store.errors import OrderNotFound, StaleOrder, StoreError
from gateway.store.rows import (
    AccountRow,
    AccountState,
    ApiKeyRow,
    IdempotencyClaim,
    MarginPolicy,
    MovementKind,
    MovementRow,
    OrderEvent,
    OrderRow,
    OutboxRow,
    PriceChange,
    PriceChangeKind,
    RefillRow,
)
from gateway.store.states import FINAL_STATES, GatewayState, is_final
from gateway.store.store import Store
from gateway.store.webhook_deliveries import WebhookDeliveryRow
from gateway.store.webhook_endpoints import WebhookEndpointRow

__all__ = [
    "FINAL_STATES",
    "AccountRow",
    "AccountState",
    "ApiKeyRow",
    "GatewayState",
    "IdempotencyClaim",
    "MarginPolicy",
    "MarginRow",
    "MovementKind",
    "MovementRow",
    "OrderEvent",
    "OrderNotFound",
    "OrderRow",
    "OutboxRow",
    "PriceChange",
    "PriceChangeKind",
    "RefillRow",
    "StaleOrder",
    "Store",
    "StoreError",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
    "is_final",
]
