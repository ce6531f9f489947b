"""Client accounts: prepaid funds, a price list, spend caps and a double-entry ledger of their
movements (top-ups, adjustments, holds, charges, refunds); keys and orders may belong to an
account, and an account's order carries its client rate, price (the hold) and final charge.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.store.types import Json, Money, UTCDateTime

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("balance", Money(), nullable=False),
        sa.Column("held", Money(), nullable=False),
        sa.Column("credit_limit", Money(), nullable=True),
        sa.Column("price_list", Json(), nullable=False),
        sa.Column("spend_cap_day", Money(), nullable=True),
        sa.Column("spend_cap_month", Money(), nullable=True),
        sa.Column("low_balance", Money(), nullable=True),
        sa.Column("margin_policy", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "account_movements",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("order_id", Id, nullable=True),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_movements"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_movements_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_account_movements_order_id_orders"
        ),
        sa.UniqueConstraint("order_id", "kind", name="uq_account_movements_order_id_kind"),
    )
    op.create_index("ix_account_movements_account_id", "account_movements", ["account_id"])
    op.create_index("ix_account_movements_order_id", "account_movements", ["order_id"])
    op.create_table(
        "account_entries",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("movement_id", Id, nullable=False),
        sa.Column("account_id", Id, nullable=True),
        sa.Column("book", sa.String(20), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_entries"),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["account_movements.id"],
            name="fk_account_entries_movement_id_account_movements",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_account_entries_account_id_accounts"
        ),
    )
    op.create_index("ix_account_entries_movement_id", "account_entries", ["movement_id"])
    op.create_index("ix_account_entries_account_id", "account_entries", ["account_id"])
    # api_keys has no children, so SQLite may rebuild it to add the foreign key.
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("account_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_api_keys_account_id_accounts", "accounts", ["account_id"], ["id"]
        )
    # Columns only (no rebuild): rebuilding orders on SQLite would cascade into its children.
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("account_id", Id, nullable=True))
        batch.add_column(sa.Column("client_rate", Money(), nullable=True))
        batch.add_column(sa.Column("client_price", Money(), nullable=True))
        batch.add_column(sa.Column("client_currency", sa.String(10), nullable=True))
        batch.add_column(sa.Column("client_charge", Money(), nullable=True))
        batch.create_index("ix_orders_account_id", ["account_id"])


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): no rebuild of orders.
    op.drop_index("ix_orders_account_id", table_name="orders")
    for column in ("client_charge", "client_currency", "client_price", "client_rate", "account_id"):
        op.drop_column("orders", column)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_account_id_accounts", type_="foreignkey")
        batch.drop_column("account_id")
    op.drop_index("ix_account_entries_account_id", table_name="account_entries")
    op.drop_index("ix_account_entries_movement_id", table_name="account_entries")
    op.drop_table("account_entries")
    op.drop_index("ix_account_movements_order_id", table_name="account_movements")
    op.drop_index("ix_account_movements_account_id", table_name="account_movements")
    op.drop_table("account_movements")
    op.drop_table("accounts")
