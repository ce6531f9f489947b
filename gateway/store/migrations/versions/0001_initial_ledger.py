"""The initial ledger: orders and their history, idempotency keys, catalog ids, price history,
API keys, webhooks and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.types import Json, Money, UTCDateTime

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", Id, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "orders",
        _id(),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.String(100), nullable=True),
        sa.Column("provider_service_id", sa.String(200), nullable=True),
        sa.Column("provider_order_id", sa.String(200), nullable=True),
        sa.Column("request", Json(), nullable=False),
        sa.Column("quoted_cost", Money(), nullable=True),
        sa.Column("currency", sa.String(10), nullable=True),
        sa.Column("provider_cost", Money(), nullable=True),
        sa.Column("provider_currency", sa.String(10), nullable=True),
        sa.Column("charge", Money(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("status_raw", sa.Text(), nullable=True),
        sa.Column("start_count", sa.BigInteger(), nullable=True),
        sa.Column("remains", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", Json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("next_poll_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint(
            "provider", "provider_order_id", name="uq_orders_provider_provider_order_id"
        ),
    )
    op.create_index("ix_orders_client_id", "orders", ["client_id"])
    op.create_index("ix_orders_state_next_poll_at", "orders", ["state", "next_poll_at"])

    op.create_table(
        "order_events",
        _id(),
        sa.Column("order_id", Id, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=True),
        sa.Column("data", Json(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_order_events_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_events"),
    )
    op.create_index("ix_order_events_order_id_id", "order_events", ["order_id", "id"])

    op.create_table(
        "refills",
        _id(),
        sa.Column("order_id", Id, nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("provider_refill_id", sa.String(200), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("status_raw", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_refills_order_id_orders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_refills"),
        sa.UniqueConstraint(
            "provider", "provider_refill_id", name="uq_refills_provider_provider_refill_id"
        ),
    )
    op.create_index("ix_refills_order_id", "refills", ["order_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("order_id", Id, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_idempotency_keys_order_id_orders",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("client_id", "key", name="pk_idempotency_keys"),
    )

    op.create_table(
        "catalog_services",
        _id(),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("provider_service_id", sa.String(200), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_services"),
        sa.UniqueConstraint(
            "provider",
            "provider_service_id",
            name="uq_catalog_services_provider_provider_service_id",
        ),
    )

    op.create_table(
        "catalog_groups",
        _id(),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_groups"),
        sa.UniqueConstraint("key", name="uq_catalog_groups_key"),
    )

    op.create_table(
        "price_changes",
        _id(),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("provider_service_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("old_rate", Money(), nullable=True),
        sa.Column("new_rate", Money(), nullable=True),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_price_changes"),
    )
    op.create_index("ix_price_changes_at", "price_changes", ["at"])

    op.create_table(
        "api_keys",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("scopes", Json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_client_id", "api_keys", ["client_id"])

    op.create_table(
        "webhook_endpoints",
        _id(),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("event_types", Json(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
    )

    op.create_table(
        "outbox",
        _id(),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("payload", Json(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index("ix_outbox_published_at_id", "outbox", ["published_at", "id"])

    op.create_table(
        "webhook_deliveries",
        _id(),
        sa.Column("endpoint_id", Id, nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id_webhook_endpoints",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_id_event_id",
        "webhook_deliveries",
        ["endpoint_id", "event_id"],
    )
    op.create_index(
        "ix_webhook_deliveries_next_attempt_at", "webhook_deliveries", ["next_attempt_at"]
    )


def downgrade() -> None:
    for table in (
        "webhook_deliveries",
        "outbox",
        "webhook_endpoints",
        "api_keys",
        "price_changes",
        "catalog_groups",
        "catalog_services",
        "idempotency_keys",
        "refills",
        "order_events",
        "orders",
    ):
        op.drop_table(table)
