"""Reading the account ledger back: its invariants (``accounts check``) and the margin report.

Both read every row concerned and add up in Python: money is text on SQLite, where SQL sums
would go through floats.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.account_ledger import ACCOUNT_BOOKS, AVAILABLE, HELD
from gateway.store.base import Queries, chunks
from gateway.store.rows import AccountRow, MovementKind, OrderRow
from gateway.store.states import FINAL_STATES
from gateway.store.tables import account_entries, account_movements, accounts, orders
from providers.models import OrderState

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class MarginRow:
    """What one account's orders settled on one UTC day at one provider brought in:
    `revenue` (client charges), `cost` (provider charges, base currency) and `margin`."""

    account: str
    provider: str | None
    day: date
    orders: int
    revenue: Decimal
    cost: Decimal
    margin: Decimal


def _order_cost(order: OrderRow) -> Decimal:
    """The provider's charge in the base currency; when it is unknown, the quoted cost of a
    delivered order (nothing for one canceled or failed)."""
    delivered = order.state in (OrderState.COMPLETED, OrderState.PARTIAL)
    quoted = (order.quoted_cost or ZERO) if delivered else ZERO
    if order.charge is None:
        return quoted
    charged_in = order.charge_currency or order.provider_currency
    if charged_in == order.currency:
        return order.charge
    if charged_in == order.provider_currency and order.provider_cost and order.quoted_cost:
        # At the exchange rate the quote was made with.
        return order.charge * order.quoted_cost / order.provider_cost
    return quoted


class AccountCheckQueries(Queries):
    """The account ledger's invariants and the margin report."""

    async def ledger_problems(self, *, tx: AsyncConnection | None = None) -> list[str]:
        """Every broken invariant of the account ledger, described; empty when it adds up.

        Balances and held funds equal the sums of their entries; every movement's entries sum
        to zero and match its amount; a settled order's hold is released exactly (hold = charge
        + refund = what ``client_charge`` says plus the refund); an open order (UNCONFIRMED
        included) holds exactly its ``client_price``; a final one is settled.
        """
        problems: list[str] = []
        async with self._read(tx) as conn:
            rows = (await conn.execute(select(accounts))).mappings()
            books = {row["id"]: AccountRow.from_row(row) for row in rows}
            movements = (await conn.execute(select(account_movements))).mappings().all()
            entries = (await conn.execute(select(account_entries))).mappings().all()
            query = select(orders).where(orders.c.account_id.is_not(None))
            account_orders = [OrderRow.from_row(r) for r in (await conn.execute(query)).mappings()]
        sums: dict[tuple[int | None, str], Decimal] = defaultdict(Decimal)
        by_movement: dict[int, list[tuple[int | None, str, Decimal]]] = defaultdict(list)
        for entry in entries:
            sums[entry["account_id"], entry["book"]] += entry["amount"]
            by_movement[entry["movement_id"]].append(
                (entry["account_id"], entry["book"], entry["amount"])
            )
        for account in books.values():
            for book, column in ((AVAILABLE, account.balance), (HELD, account.held)):
                if sums[account.id, book] != column:
                    problems.append(
                        f"account {account.name}: {book} is {column}, "
                        f"its entries sum to {sums[account.id, book]}"
                    )
        held_by_order: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for movement in movements:
            problems += _movement_problems(movement, by_movement.get(movement["id"], []))
            if movement["order_id"] is not None:
                held_by_order[movement["order_id"]][movement["kind"]] += movement["amount"]
        for order in account_orders:
            problems += _order_problems(order, held_by_order.get(order.id, {}))
        return problems

    async def margin_report(
        self, since: datetime, until: datetime, *, tx: AsyncConnection | None = None
    ) -> list[MarginRow]:
        """Revenue, cost and margin of the account orders settled from `since` to before
        `until`, by account, provider and UTC day of settlement (orders refunded in full that
        cost nothing upstream are no sale and left out)."""
        settled_kinds = (MovementKind.CHARGE.value, MovementKind.REFUND.value)
        query = select(account_movements.c.order_id, account_movements.c.created_at).where(
            account_movements.c.kind.in_(settled_kinds),
            account_movements.c.created_at >= since,
            account_movements.c.created_at < until,
        )
        async with self._read(tx) as conn:
            settled_at: dict[int, datetime] = {}
            for order_id, at in (await conn.execute(query)).all():
                settled_at[order_id] = max(at, settled_at.get(order_id, at))
            names = dict((await conn.execute(select(accounts.c.id, accounts.c.name))).all())
            found: list[OrderRow] = []
            for batch in chunks(sorted(settled_at)):
                result = await conn.execute(select(orders).where(orders.c.id.in_(batch)))
                found += [OrderRow.from_row(row) for row in result.mappings()]
        totals: dict[tuple[str, str | None, date], list[Decimal]] = {}
        for order in found:
            if order.account_id is None or order.client_charge is None:
                continue
            cost = _order_cost(order)
            if not order.client_charge and not cost:
                continue  # refunded in full and free upstream: no sale
            key = (names[order.account_id], order.provider, settled_at[order.id].date())
            count, revenue, costs = totals.get(key, [ZERO, ZERO, ZERO])
            totals[key] = [count + 1, revenue + order.client_charge, costs + cost]
        return [
            MarginRow(account, provider, day, int(count), revenue, cost, revenue - cost)
            for (account, provider, day), (count, revenue, cost) in sorted(
                totals.items(), key=lambda item: (item[0][2], item[0][0], item[0][1] or "")
            )
        ]


def _movement_problems(m: RowMapping, entries: list[tuple[int | None, str, Decimal]]) -> list[str]:
    name = f"movement {m['id']} ({m['kind']})"
    problems: list[str] = []
    if not entries:
        return [f"{name} has no entries"]
    total = sum((amount for _, _, amount in entries), ZERO)
    if total != 0:
        problems.append(f"{name}: entries sum to {total}, not 0")
    for account_id, book, _ in entries:
        owner = m["account_id"] if book in ACCOUNT_BOOKS else None
        if account_id != owner:
            problems.append(f"{name}: a {book} entry belongs to account {account_id}")
    book = HELD if m["kind"] == MovementKind.CHARGE else AVAILABLE
    effect = sum((amount for _, b, amount in entries if b == book), ZERO)
    if effect != m["amount"]:
        problems.append(f"{name}: amount {m['amount']}, its {book} entries sum to {effect}")
    return problems


def _order_problems(order: OrderRow, kinds: dict[str, Decimal]) -> list[str]:
    held = -kinds.get(MovementKind.HOLD, ZERO)
    charged = -kinds.get(MovementKind.CHARGE, ZERO)
    refunded = kinds.get(MovementKind.REFUND, ZERO)
    name = f"order {order.id} ({order.state})"
    if order.state not in FINAL_STATES:
        if charged or refunded:
            return [f"{name} is open but was charged {charged} and refunded {refunded}"]
        if held != (order.client_price or ZERO):
            return [f"{name} is open and holds {held}, not its client price {order.client_price}"]
        return []
    if order.client_charge is None:
        return [f"{name} is final but not settled"]
    problems = []
    if held != charged + refunded:
        problems.append(f"{name}: held {held}, charged {charged}, refunded {refunded}")
    if charged != order.client_charge:
        problems.append(f"{name}: client charge {order.client_charge}, charged {charged}")
    return problems
