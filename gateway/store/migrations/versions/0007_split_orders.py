"""Split and drip-fed orders: a client order made of child orders. `parent_id` on a child names
its client order; `plan` on the client order says how it is made (split parts, or drip runs)
and `next_run_at` when its next drip run is due (the schedule lives in the ledger, so a worker
that starts picks up where a stopped one left off).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.types import Json, UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN, no foreign key: rebuilding orders on SQLite would
    # cascade into its children.
    op.add_column("orders", sa.Column("parent_id", Id, nullable=True))
    op.add_column("orders", sa.Column("plan", Json(), nullable=True))
    op.add_column("orders", sa.Column("next_run_at", UTCDateTime(), nullable=True))
    op.create_index("ix_orders_parent_id", "orders", ["parent_id"])
    op.create_index("ix_orders_next_run_at", "orders", ["next_run_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_next_run_at", table_name="orders")
    op.drop_index("ix_orders_parent_id", table_name="orders")
    for column in ("next_run_at", "plan", "parent_id"):
        op.drop_column("orders", column)
