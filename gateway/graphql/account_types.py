"""Client accounts as the API shows them: the account, its price list, its movements (a
connection, newest first) and the operator's margin report.

Amounts are exact `Decimal` strings in the account's currency (`Account.currency`, the gateway's
base currency); the margin report is in the base currency too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import cast

import strawberry

from gateway.accounts.pricing import Override, PriceList
from gateway.graphql.context import Info
from gateway.graphql.fields import field
from gateway.graphql.pagination import (
    Connection,
    connection,
    decode_cursor,
    encode_cursor,
    page_size,
)
from gateway.graphql.permissions import OPERATOR
from gateway.store import AccountRow, MarginRow, MovementRow

MOVEMENT_CURSOR = "movement"


@strawberry.enum(description="Whether an account may place orders.")
class AccountState(Enum):
    ACTIVE = strawberry.enum_value("active", description="Orders are accepted.")
    SUSPENDED = strawberry.enum_value(
        "suspended", description="Orders are refused; open orders settle as usual."
    )


@strawberry.enum(description="What happens when a provider's cost breaks the minimum margin.")
class MarginPolicy(Enum):
    SKIP = strawberry.enum_value(
        "skip", description="Skip such providers; with none left the service is unavailable."
    )
    REPRICE = strawberry.enum_value(
        "reprice", description="Raise the client's price to keep the minimum margin."
    )


def enum_value(member: AccountState | MarginPolicy) -> str:
    """The stored value of an enum member (the plain string it is)."""
    return cast(str, member.value)


@strawberry.enum(description="What moved an account's money.")
class MovementKind(Enum):
    TOPUP = strawberry.enum_value("topup", description="Funds added by the operator.")
    ADJUSTMENT = strawberry.enum_value(
        "adjustment", description="A correction by the operator, with its reason."
    )
    HOLD = strawberry.enum_value("hold", description="An order's price held when it was placed.")
    CHARGE = strawberry.enum_value("charge", description="What a settled order finally cost.")
    REFUND = strawberry.enum_value(
        "refund", description="The undelivered part of a settled order's hold, given back."
    )


@strawberry.type(
    name="PriceOverride",
    description=(
        "A price for part of the catalog: a service, a platform and metric, a metric or a "
        "platform (the most specific one that matches wins)."
    ),
)
class OverrideNode:
    platform: str | None = strawberry.field(description="Services of this platform.")
    metric: str | None = strawberry.field(description="Services delivering this metric.")
    service_id: int | None = strawberry.field(description="This unified service.")
    markup_percent: Decimal | None = strawberry.field(
        description="The markup over the provider's cost, in percent."
    )
    rate: Decimal | None = strawberry.field(description="A fixed price per 1000.")

    @classmethod
    def of(cls, override: Override) -> OverrideNode:
        return cls(
            platform=override.platform, metric=override.metric, service_id=override.service_id,
            markup_percent=override.markup_percent, rate=override.rate,
        )  # fmt: skip


@strawberry.type(name="PriceList", description="How an account's prices are made.")
class PriceListNode:
    markup_percent: Decimal = strawberry.field(
        description="The default markup over the routed provider's cost, in percent."
    )
    min_margin_percent: Decimal = strawberry.field(
        description="The price never falls below the provider's cost plus this percent."
    )
    overrides: list[OverrideNode] = strawberry.field(description="Prices for parts of the catalog.")

    @classmethod
    def of(cls, price_list: PriceList) -> PriceListNode:
        return cls(
            markup_percent=price_list.markup_percent,
            min_margin_percent=price_list.min_margin_percent,
            overrides=[OverrideNode.of(o) for o in price_list.overrides],
        )


@strawberry.type(name="Movement", description="One movement of an account's money.")
class MovementNode:
    id: int = strawberry.field(description="The movement's id.")
    kind: MovementKind = strawberry.field(description="What moved the money.")
    amount: Decimal = strawberry.field(
        description=(
            "The signed effect: a top-up or refund adds, a hold takes; a charge carries minus "
            "what was charged (from the held funds)."
        )
    )
    order_id: int | None = strawberry.field(description="The order it is for, if any.")
    reason: str | None = strawberry.field(description="Why, for top-ups and adjustments.")
    created_at: datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def of(cls, row: MovementRow) -> MovementNode:
        return cls(
            id=row.id, kind=MovementKind(row.kind), amount=row.amount, order_id=row.order_id,
            reason=row.reason, created_at=row.created_at,
        )  # fmt: skip


def day_start(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: where daily spend caps start counting."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    """Midnight UTC of the first of `now`'s month."""
    return day_start(now).replace(day=1)


@strawberry.type(
    name="Account",
    description="A client of the operator: prepaid funds, a price list, spend caps and a state.",
)
class AccountNode:
    id: int = strawberry.field(description="The account's id.")
    name: str = strawberry.field(description="The account's unique name (its keys' client).")
    currency: str = strawberry.field(description="The currency of every amount of the account.")
    state: AccountState = strawberry.field(description="Whether it may place orders.")
    balance: Decimal = strawberry.field(
        description=(
            "Funds not held for open orders. An order's hold takes it below 0 only within the "
            "credit limit; an operator's adjustment (a chargeback, a correction) takes it "
            "wherever its amount says, past the credit limit too, and a lowered credit limit "
            "may leave it past the new one (`available` is then below 0)."
        )
    )
    held: Decimal = strawberry.field(description="Funds held for open orders.")
    credit_limit: Decimal | None = strawberry.field(
        description=(
            "How far below 0 orders may take the balance; null for none. Operator adjustments "
            "are not bound by it."
        )
    )
    available: Decimal = strawberry.field(
        description=(
            "What new orders may take: the balance plus the credit limit. Below 0 when the "
            "account is past its credit limit (an adjustment or a lowered limit took it "
            "there): every order is refused until funds come in."
        )
    )
    spend_cap_day: Decimal | None = strawberry.field(
        description="The most orders may take per UTC day; null for no cap."
    )
    spend_cap_month: Decimal | None = strawberry.field(
        description="The most orders may take per UTC month; null for no cap."
    )
    low_balance: Decimal | None = strawberry.field(
        description="Below this balance an account.balance_low event is sent; null for none."
    )
    margin_policy: MarginPolicy | None = strawberry.field(
        description=(
            "What happens when a provider's cost breaks the minimum margin (ops or admin keys: "
            "a repriced rate is the cost plus the minimum margin)."
        ),
        permission_classes=OPERATOR,
    )
    price_list: PriceListNode | None = strawberry.field(
        description=(
            "How the account's prices are made (ops or admin keys: a markup or a margin over "
            "the provider's cost gives that cost away). The account's keys see its own prices "
            "instead: a service's `rate`, an order's `cost` and `charge`."
        ),
        permission_classes=OPERATOR,
    )
    created_at: datetime = strawberry.field(description="When the account was made.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    row: strawberry.Private[AccountRow]

    @field("What orders took today (UTC): holds less refunds.")
    async def spend_today(self, info: Info) -> Decimal:
        since = day_start(datetime.now(UTC))
        return await info.context.gateway.store.spend(self.id, since)

    @field("What orders took this month (UTC): holds less refunds.")
    async def spend_this_month(self, info: Info) -> Decimal:
        since = month_start(datetime.now(UTC))
        return await info.context.gateway.store.spend(self.id, since)

    @field("The account's movements, newest first; 50 a page, at most 500.")
    async def movements(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[MovementNode]:
        size = page_size(first)
        before = decode_cursor(MOVEMENT_CURSOR, after)
        store = info.context.gateway.store
        rows = await store.movements(self.id, before=before, limit=size + 1)
        page = rows[:size]
        return connection(
            [MovementNode.of(r) for r in page],
            [encode_cursor(MOVEMENT_CURSOR, r.id) for r in page],
            has_next=len(rows) > size,
            has_previous=before is not None,
        )

    @classmethod
    def of(cls, row: AccountRow) -> AccountNode:
        return cls(
            id=row.id, name=row.name, currency=row.currency, state=AccountState(row.state),
            balance=row.balance, held=row.held, credit_limit=row.credit_limit,
            available=row.available, spend_cap_day=row.spend_cap_day,
            spend_cap_month=row.spend_cap_month, low_balance=row.low_balance,
            margin_policy=MarginPolicy(row.margin_policy),
            price_list=PriceListNode.of(PriceList(**row.price_list)),
            created_at=row.created_at, updated_at=row.updated_at, row=row,
        )  # fmt: skip


@strawberry.type(
    name="MarginRow",
    description="Settled orders of one account at one provider on one UTC day, in base currency.",
)
class MarginRowNode:
    account: str = strawberry.field(description="The account's name.")
    provider: str | None = strawberry.field(description="The provider that took the orders.")
    day: date = strawberry.field(description="The UTC day the orders settled.")
    orders: int = strawberry.field(description="How many orders settled.")
    revenue: Decimal = strawberry.field(description="What the client paid for them.")
    cost: Decimal = strawberry.field(description="What the provider charged for them.")
    margin: Decimal = strawberry.field(description="Revenue less cost.")

    @classmethod
    def of(cls, row: MarginRow) -> MarginRowNode:
        return cls(
            account=row.account, provider=row.provider, day=row.day, orders=row.orders,
            revenue=row.revenue, cost=row.cost, margin=row.margin,
        )  # fmt: skip
