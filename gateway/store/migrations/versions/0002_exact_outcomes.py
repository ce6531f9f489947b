"""Exact outcomes: the charge's own currency, the moment an order was sent, the last status
read, flags on an order (a reused provider id, a charge above its quote), the token of an
idempotency claim, refill polling with back-off; a provider may reuse an order id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.types import Json, UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("charge_currency", sa.String(10), nullable=True))
        batch.add_column(sa.Column("sent_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("synced_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("flags", Json(), nullable=True))
        # A panel that was reset hands out its order ids again: both orders must be recorded.
        batch.drop_constraint("uq_orders_provider_provider_order_id", type_="unique")
        batch.create_index(
            "ix_orders_provider_provider_order_id", ["provider", "provider_order_id"]
        )
    # Orders left RECEIVED before this revision may have been sent: never settled as unsent.
    op.execute("UPDATE orders SET sent_at = updated_at WHERE state = 'RECEIVED'")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("token", sa.String(64), nullable=True))
    with op.batch_alter_table("refills") as batch:
        batch.add_column(sa.Column("next_poll_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.create_index("ix_refills_state_next_poll_at", ["state", "next_poll_at"])


def downgrade() -> None:
    with op.batch_alter_table("refills") as batch:
        batch.drop_index("ix_refills_state_next_poll_at")
        batch.drop_column("error")
        batch.drop_column("next_poll_at")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("token")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_provider_provider_order_id")
        batch.create_unique_constraint(
            "uq_orders_provider_provider_order_id", ["provider", "provider_order_id"]
        )
        batch.drop_column("flags")
        batch.drop_column("synced_at")
        batch.drop_column("sent_at")
        batch.drop_column("charge_currency")
