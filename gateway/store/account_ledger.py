"""The account ledger's postings: every movement of a client's money is double entry.

Each movement writes entries that sum to zero over five books: the account's own
``available`` (its ``balance``) and ``held`` (funds held for open orders), and the system's
``funding``, ``adjustments`` and ``revenue``::

    topup X         available +X    funding     -X
    adjustment ±X   available ±X    adjustments ∓X
    hold H          available -H    held        +H
    charge C        held      -C    revenue     +C
    refund R        held      -R    available   +R      (R = H - C, when the order is final)

The account row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every
write transaction already holds the database lock, ``BEGIN IMMEDIATE``), and the new balance
is computed in Python: money is text on SQLite, so SQL arithmetic there would be wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.rows import AccountRow, MovementKind, MovementRow, OrderRow
from gateway.store.split_refunds import CENT_FRACTION, parts_refund
from gateway.store.states import FINAL_STATES
from gateway.store.tables import account_entries, account_movements, accounts, orders
from providers.models import OrderState

AVAILABLE = "available"
HELD = "held"
FUNDING = "funding"
ADJUSTMENTS = "adjustments"
REVENUE = "revenue"
ACCOUNT_BOOKS = frozenset({AVAILABLE, HELD})
"""Books of the account itself; the others are the system's (entries without an account)."""


# Built once: a posting's values go as parameters.
_INSERT_MOVEMENT = account_movements.insert().returning(*account_movements.c)
_UPDATE_BALANCES = (
    accounts.update()
    .where(accounts.c.id == bindparam("account"))
    .values(
        balance=bindparam("balance"),
        held=bindparam("held"),
        updated_at=bindparam("updated_at"),
        version=bindparam("version"),
    )
    .returning(*accounts.c)
)


_MOVEMENT_COLUMNS = ("account_id", "kind", "order_id", "amount", "reason", "created_at")
_ENTRY_COLUMNS = ("account_id", "book", "amount")


@lru_cache(maxsize=8)
def _posting(entries: int) -> Select[Any]:
    """On PostgreSQL, a posting of `entries` entries as one statement: the movement, its
    entries and the account's new balances, each a data-modifying ``WITH`` (one round trip,
    not three); it returns the movement's columns (``m_``) and the account's (``a_``)."""
    movement = (
        account_movements.insert()
        .values(
            {c: bindparam(f"m_{c}", type_=account_movements.c[c].type) for c in _MOVEMENT_COLUMNS}
        )
        .returning(*account_movements.c)
        .cte("movement")
    )
    currency = bindparam("e_currency", type_=account_entries.c.currency.type)
    # One SELECT an entry, joined by UNION ALL (a VALUES list would make the statement one
    # SQLAlchemy cannot cache, compiled anew for every posting).
    sources = [
        select(
            movement.c.id,
            *(bindparam(f"e{i}_{c}", type_=account_entries.c[c].type) for c in _ENTRY_COLUMNS),
            currency,
        )
        for i in range(entries)
    ]
    written = account_entries.insert().from_select(
        ["movement_id", *_ENTRY_COLUMNS, "currency"],
        union_all(*sources) if len(sources) > 1 else sources[0],
    )
    balances = _UPDATE_BALANCES.cte("balances")
    return (
        select(
            *(c.label(f"m_{c.name}") for c in movement.c),
            *(c.label(f"a_{c.name}") for c in balances.c),
        )
        .select_from(movement.join(balances, balances.c.id == movement.c.account_id))
        .add_cte(written.cte("entries"))
    )


def _split(found: Any, prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in found.items() if k.startswith(prefix)}


@dataclass(frozen=True, slots=True)
class Posting:
    """A movement written, with the account before and after it."""

    movement: MovementRow
    before: AccountRow
    after: AccountRow


async def lock_account(conn: AsyncConnection, account_id: int) -> AccountRow:
    """The account row, locked until the transaction ends; ``AccountNotFound`` without one."""
    query = select(accounts).where(accounts.c.id == account_id).with_for_update()
    found = (await conn.execute(query)).mappings().one_or_none()
    if found is None:
        # gateway.accounts.errors sits under gateway.orders, which imports the store.
        from gateway.accounts.errors import AccountNotFound

        raise AccountNotFound(account_id)
    return AccountRow.from_row(found)


async def post(
    conn: AsyncConnection,
    account: AccountRow,
    kind: MovementKind,
    entries: Sequence[tuple[str, Decimal]],
    *,
    now: datetime,
    order_id: int | None = None,
    reason: str | None = None,
) -> Posting:
    """Write one movement of the locked `account`: its `entries` (book, signed amount), which
    must sum to zero, and the account's new ``balance`` and ``held`` (on PostgreSQL in one
    statement, `_posting`)."""
    if sum((amount for _, amount in entries), Decimal(0)) != 0:
        raise ValueError(f"the entries of a {kind} movement must sum to zero: {entries!r}")
    change = {book: Decimal(0) for book in ACCOUNT_BOOKS}
    for book, amount in entries:
        if book in ACCOUNT_BOOKS:
            change[book] += amount
    # The movement's amount is its effect on the balance; a charge's, what it took from held.
    amount = change[HELD] if kind == MovementKind.CHARGE else change[AVAILABLE]
    movement_values = {
        "account_id": account.id,
        "kind": kind.value,
        "order_id": order_id,
        "amount": amount,
        "reason": reason,
        "created_at": now,
    }
    entry_values = [
        {
            "account_id": account.id if book in ACCOUNT_BOOKS else None,
            "book": book,
            "amount": value,
            "currency": account.currency,
        }
        for book, value in entries
    ]
    balance_values = {
        "account": account.id,
        "balance": account.balance + change[AVAILABLE],
        "held": account.held + change[HELD],
        "updated_at": now,
        "version": account.version + 1,
    }
    if conn.dialect.name == "postgresql":
        params = {f"m_{k}": v for k, v in movement_values.items()}
        for i, entry in enumerate(entry_values):
            params.update({f"e{i}_{c}": entry[c] for c in _ENTRY_COLUMNS})
        params["e_currency"] = account.currency
        found = await conn.execute(_posting(len(entries)), {**params, **balance_values})
        row = found.mappings().one()
        movement = MovementRow.from_row(_split(row, "m_"))
        return Posting(movement, account, AccountRow.from_row(_split(row, "a_")))
    inserted = await conn.execute(_INSERT_MOVEMENT, movement_values)
    movement = MovementRow.from_row(inserted.mappings().one())
    await conn.execute(
        account_entries.insert(), [{"movement_id": movement.id, **e} for e in entry_values]
    )
    updated = await conn.execute(_UPDATE_BALANCES, balance_values)
    return Posting(movement, account, AccountRow.from_row(updated.mappings().one()))


def crossed_low_balance(posting: Posting) -> bool:
    """Whether `posting` took the balance from at least the low-balance threshold to below it."""
    low = posting.after.low_balance
    return low is not None and posting.before.balance >= low > posting.after.balance


async def spent(conn: AsyncConnection, account_id: int, since: datetime) -> Decimal:
    """Holds minus refunds of the account's movements created from `since`."""
    kinds = (MovementKind.HOLD.value, MovementKind.REFUND.value)
    where = (
        account_movements.c.account_id == account_id,
        account_movements.c.kind.in_(kinds),
        account_movements.c.created_at >= since,
    )
    if conn.dialect.name == "postgresql":
        total = await conn.scalar(select(func.sum(account_movements.c.amount)).where(*where))
        return -(total or Decimal(0)) + 0  # + 0: no negative zero
    amounts = (await conn.execute(select(account_movements.c.amount).where(*where))).scalars()
    return -sum(amounts, Decimal(0)) + 0


def refund_due(order: OrderRow, held: Decimal, children: Sequence[OrderRow] = ()) -> Decimal:
    """What a final order gives back of the `held` amount.

    COMPLETED: nothing. PARTIAL: the undelivered part, ``client_rate x remains / 1000`` rounded
    half-up to 4 places, at most the hold (nothing when the panel gave no remains); for a client
    order made of `children` whose plan keeps their prices, each child's own undelivered share
    of its own price (`gateway.store.split_refunds`). Every other final state (CANCELED,
    REFUNDED, EXPIRED, FAILED): the whole hold.
    """
    if order.state == OrderState.COMPLETED:
        return Decimal(0)
    if order.state == OrderState.PARTIAL:
        by_parts = parts_refund(order, children) if order.plan is not None else None
        if by_parts is not None:
            return min(held, by_parts)
        if order.client_rate is None or order.remains is None or order.remains <= 0:
            return Decimal(0)
        undelivered = (order.client_rate * order.remains / 1000).quantize(
            CENT_FRACTION, rounding=ROUND_HALF_UP
        )
        return min(held, undelivered)
    return held


def needs_settling(order: OrderRow) -> bool:
    """An account's order that is final and has not been settled yet."""
    return (
        order.account_id is not None and order.client_charge is None and order.state in FINAL_STATES
    )


async def settle(
    conn: AsyncConnection, order: OrderRow, now: datetime
) -> tuple[OrderRow, list[MovementRow]]:
    """Release the hold of a final account order: charge what was delivered, refund the rest,
    set ``client_charge``. Does nothing for an order already settled (or not an account's, or
    not final), so every path to a final state may call it."""
    if not needs_settling(order):
        return order, []
    assert order.account_id is not None
    account = await lock_account(conn, order.account_id)
    query = select(account_movements.c.kind, account_movements.c.amount).where(
        account_movements.c.order_id == order.id
    )
    found = (await conn.execute(query)).all()
    if any(kind != MovementKind.HOLD for kind, _ in found):
        # Settled by a writer that did not set client_charge: take what it charged.
        charged = -sum((a for k, a in found if k == MovementKind.CHARGE), Decimal(0)) + 0
        return await _set_client_charge(conn, order.id, charged), []
    held = -sum((amount for _, amount in found), Decimal(0)) + 0
    refund = refund_due(order, held, await _children(conn, order))
    charge = held - refund
    movements: list[MovementRow] = []
    if charge:
        posting = await post(
            conn, account, MovementKind.CHARGE, [(HELD, -charge), (REVENUE, charge)],
            now=now, order_id=order.id,
        )  # fmt: skip
        account = posting.after
        movements.append(posting.movement)
    if refund:
        posting = await post(
            conn, account, MovementKind.REFUND, [(HELD, -refund), (AVAILABLE, refund)],
            now=now, order_id=order.id,
        )  # fmt: skip
        movements.append(posting.movement)
    return await _set_client_charge(conn, order.id, charge), movements


async def _children(conn: AsyncConnection, order: OrderRow) -> list[OrderRow]:
    """The child orders of a client order made of them (none for a plain order), oldest first."""
    if order.plan is None:
        return []
    query = select(orders).where(orders.c.parent_id == order.id).order_by(orders.c.id)
    return [OrderRow.from_row(r) for r in (await conn.execute(query)).mappings()]


async def _set_client_charge(conn: AsyncConnection, order_id: int, charge: Decimal) -> OrderRow:
    # Same transaction and version as the change that made the order final.
    result = await conn.execute(
        orders.update()
        .where(orders.c.id == order_id)
        .values(client_charge=charge)
        .returning(*orders.c)
    )
    return OrderRow.from_row(result.mappings().one())
