"""The ledger's tables (SQLAlchemy Core). Migrations under ``migrations/`` create exactly these;
a test compares the two."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gateway.store.types import Json, Money, UTCDateTime

# Named constraints so later migrations can drop or alter them by name on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger primary keys become plain INTEGER on SQLite so they stay rowid aliases.
Id = BigInteger().with_variant(Integer(), "sqlite")

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("client_id", String(200), nullable=False, index=True),
    Column("group_id", BigInteger),
    Column("provider", String(100)),
    Column("provider_service_id", String(200)),
    Column("provider_order_id", String(200)),
    Column("request", Json, nullable=False),
    Column("quoted_cost", Money),
    Column("currency", String(10)),
    Column("provider_cost", Money),
    Column("provider_currency", String(10)),
    Column("charge", Money),
    Column("state", String(20), nullable=False),
    Column("status_raw", Text),
    Column("start_count", BigInteger),
    Column("remains", BigInteger),
    Column("error", Text),
    Column("attempts", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("next_poll_at", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("charge_currency", String(10)),
    # Set just before the add leaves: an order without it never reached a provider.
    Column("sent_at", UTCDateTime),
    # The last time a provider answered for this order's status.
    Column("synced_at", UTCDateTime),
    # Marks an operator should see: e.g. a provider id reused by the panel, a charge above quote.
    Column("flags", Json),
    # The process (an `instances` id) holding the order's status-sync claim, if any.
    Column("claimed_by", String(100)),
    # A client account's order: what it holds and, once final, what the client paid. No
    # foreign key: adding one would make SQLite rebuild this table, which its children cascade on.
    Column("account_id", Id, index=True),
    Column("client_rate", Money),
    Column("client_price", Money),
    Column("client_currency", String(10)),
    Column("client_charge", Money),
    # A child order's client order (split parts, drip runs); no foreign key, as for account_id.
    Column("parent_id", Id, index=True),
    # On a client order made of children: how (`gateway.orders.split`, `gateway.orders.drip`).
    Column("plan", Json),
    # When a drip-fed client order's next run is due (the gateway runs the drip itself).
    Column("next_run_at", UTCDateTime, index=True),
    Index(None, "state", "next_poll_at"),
    Index(None, "claimed_by"),
    # Not unique: a panel that was reset hands out its order ids again.
    Index(None, "provider", "provider_order_id"),
)

order_events = Table(
    "order_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20)),
    Column("data", Json),
    Index(None, "order_id", "id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("currency", String(10), nullable=False),
    Column("state", String(20), nullable=False),
    # Funds not held (down to -credit_limit) and funds held for open orders; both always equal
    # the sums of the account's ledger entries on those books.
    Column("balance", Money, nullable=False),
    Column("held", Money, nullable=False),
    Column("credit_limit", Money),
    Column("price_list", Json, nullable=False),
    Column("spend_cap_day", Money),
    Column("spend_cap_month", Money),
    Column("low_balance", Money),
    Column("margin_policy", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    # NULL: the group's or the configuration's routing policy applies.
    Column("routing_policy", String(20)),
)

account_movements = Table(
    "account_movements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), index=True),
    Column("amount", Money, nullable=False),
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # An order is held, charged and refunded at most once each (NULLs never collide).
    UniqueConstraint("order_id", "kind"),
)

account_entries = Table(
    "account_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("movement_id", Id, ForeignKey("account_movements.id"), nullable=False, index=True),
    # NULL for the system books (funding, adjustments, revenue).
    Column("account_id", Id, ForeignKey("accounts.id"), index=True),
    Column("book", String(20), nullable=False),
    Column("amount", Money, nullable=False),
    Column("currency", String(10), nullable=False),
)

refills = Table(
    "refills",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("provider_refill_id", String(200)),
    Column("state", String(20), nullable=False),
    Column("status_raw", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("next_poll_at", UTCDateTime),
    Column("error", Text),
    Index(None, "order_id"),
    UniqueConstraint("provider", "provider_refill_id"),
    Index(None, "state", "next_poll_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("client_id", String(200), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(128), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="SET NULL")),
    Column("created_at", UTCDateTime, nullable=False),
    # The claiming request's own token: only its owner may attach an order or release it.
    Column("token", String(64)),
    # The process that made the claim: when its heartbeat expired, the claim is taken over.
    Column("instance", String(100)),
)

catalog_services = Table(
    "catalog_services",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("provider", String(100), nullable=False),
    Column("provider_service_id", String(200), nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime),
    UniqueConstraint("provider", "provider_service_id"),
)

catalog_groups = Table(
    "catalog_groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

price_changes = Table(
    "price_changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("provider", String(100), nullable=False),
    Column("provider_service_id", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("old_rate", Money),
    Column("new_rate", Money),
    Column("currency", String(10), nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(20), nullable=False),
    # Only the sha256 of the secret is kept; the secret itself is shown once, at creation.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("client_id", String(200), nullable=False, index=True),
    Column("scopes", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    # NULL: one of the operator's own keys (no price list, no funds held).
    Column("account_id", Id, ForeignKey("accounts.id")),
    # NULL: the account's (or the group's, or the configuration's) routing policy applies.
    Column("routing_policy", String(20)),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("description", Text),
    Column("event_types", Json, nullable=False),
    # Kept in clear, unlike API keys: the gateway needs it to sign every delivery.
    Column("secret", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("disabled_reason", Text),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False, unique=True),
    Column("type", String(100), nullable=False),
    Column("payload", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime),
    Index(None, "published_at", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "endpoint_id",
        Id,
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", String(100), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("next_attempt_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "endpoint_id", "event_id"),
    Index(None, "next_attempt_at"),
)

instances = Table(
    "instances",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    # Pushed forward by every heartbeat; past it, the process counts as dead.
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "expires_at"),
)

catalog_syncs = Table(
    "catalog_syncs",
    metadata,
    Column("provider", String(100), primary_key=True),
    Column("synced_at", UTCDateTime, nullable=False),
    # What the provider listed at that sync: service id -> [rate, currency] (exact text).
    Column("rates", Json),
)
