"""Routing policy per client account and per API key: a nullable `routing_policy` on
`accounts` and `api_keys` (NULL: the next source decides, down to the configuration's).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN: a nullable column needs no rebuild on SQLite.
    op.add_column("accounts", sa.Column("routing_policy", sa.String(20), nullable=True))
    op.add_column("api_keys", sa.Column("routing_policy", sa.String(20), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): no rebuild of tables with children.
    op.drop_column("api_keys", "routing_policy")
    op.drop_column("accounts", "routing_policy")
