"""The rates each provider listed at its last catalog sync: a nullable `rates` on
`catalog_syncs` (service id -> [rate, currency]). A sync compares a panel's new list with it,
so the price changes made while no gateway ran (or while Redis was away) are still recorded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.types import Json

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN: a nullable column needs no rebuild on SQLite.
    op.add_column("catalog_syncs", sa.Column("rates", Json(), nullable=True))


def downgrade() -> None:
    op.drop_column("catalog_syncs", "rates")
