"""Provider quality: daily sums per provider service of what its orders delivered (finished,
completed, partial, canceled, failed, units ordered and delivered, time to start and to
complete, refills, final charges against quoted costs), added to as orders and refills end;
a window of days is a few rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = (
    "finished", "completed", "partial", "canceled", "failed",
    "units_orders", "units_ordered", "units_delivered",
    "start_ms", "starts", "complete_ms_per_k", "completes",
    "refills_requested", "refills_finished", "refills_completed",
    "charges", "charged_micros", "cost_micros",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "provider_quality",
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("provider_service_id", sa.String(200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint(
            "provider", "provider_service_id", "day", name="pk_provider_quality"
        ),
    )
    op.create_index("ix_provider_quality_day", "provider_quality", ["day"])


def downgrade() -> None:
    op.drop_index("ix_provider_quality_day", table_name="provider_quality")
    op.drop_table("provider_quality")
