"""Fleet liveness: every gateway and worker process heartbeats in ``instances``; an order's
status-sync claim and an idempotency key's claim record the process that holds them, so a
claim of a process whose heartbeat expired is taken over at once; each provider's last
catalog sync is kept in ``catalog_syncs``, shared by every process with or without Redis.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.types import UTCDateTime

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instances"),
    )
    op.create_index("ix_instances_expires_at", "instances", ["expires_at"])
    op.create_table(
        "catalog_syncs",
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name="pk_catalog_syncs"),
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(100), nullable=True))
        batch.create_index("ix_orders_claimed_by", ["claimed_by"])
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("instance", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("instance")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_claimed_by")
        batch.drop_column("claimed_by")
    op.drop_table("catalog_syncs")
    op.drop_index("ix_instances_expires_at", table_name="instances")
    op.drop_table("instances")
