"""Inputs and payloads of the account mutations, and the checks that turn bad input into a typed
`ValidationError` (a field and a code) before anything is written.

An update changes only the fields it gives: an absent field keeps its value, an explicit
``null`` clears it (``creditLimit: null`` removes the credit limit)::

    updateAccount(name: "shop", input: {spendCapDay: "50", creditLimit: null})
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import pydantic
import strawberry

from gateway.accounts.pricing import Override, PriceList
from gateway.graphql.account_types import AccountNode, MarginPolicy, MovementNode, enum_value
from gateway.graphql.payloads import UserError, ValidationError, schema_names

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_REASON = 500
MAX_PLACES = 4
"""Decimal places an amount may have: the ledger's prices are kept to 4."""
MAX_AMOUNT = Decimal(10) ** 12
MAX_OVERRIDES = 1000


class Invalid(Exception):
    """A bad input: becomes a `ValidationError` payload."""

    def __init__(self, message: str, code: str, field: str) -> None:
        super().__init__(message)
        self.error = ValidationError(message=message, code=code, field=field)


@strawberry.input(
    name="PriceOverrideInput",
    description=(
        "A price for a service, a platform and metric, a metric or a platform: give what it "
        "applies to and exactly one of markupPercent and rate."
    ),
)
class OverrideInput:
    platform: str | None = strawberry.field(default=None, description="A platform, e.g. instagram.")
    metric: str | None = strawberry.field(default=None, description="A metric, e.g. followers.")
    service_id: int | None = strawberry.field(
        default=None,
        description="A unified service id, one the catalog has given (else INVALID_PRICE_LIST).",
    )
    markup_percent: Decimal | None = strawberry.field(
        default=None, description="The markup over the provider's cost, in percent."
    )
    rate: Decimal | None = strawberry.field(default=None, description="A fixed price per 1000.")


@strawberry.input(description="How an account's prices are made (replaces the whole list).")
class PriceListInput:
    markup_percent: Decimal = strawberry.field(
        default=Decimal(0), description="The default markup over the provider's cost, in percent."
    )
    min_margin_percent: Decimal = strawberry.field(
        default=Decimal(0),
        description="The price never falls below the provider's cost plus this percent.",
    )
    overrides: list[OverrideInput] = strawberry.field(
        default_factory=list, description="Prices for parts of the catalog."
    )


@strawberry.input(description="A new client account; amounts in the base currency.")
class CreateAccountInput:
    name: str = strawberry.field(
        description="A unique name: letters, digits, '.', '_' or '-', at most 100."
    )
    price_list: PriceListInput | None = strawberry.field(
        default=None, description="Its prices (default: the provider's cost, no markup)."
    )
    credit_limit: Decimal | None = strawberry.field(
        default=None, description="How far below 0 the balance may go."
    )
    spend_cap_day: Decimal | None = strawberry.field(
        default=None, description="The most orders may take per UTC day."
    )
    spend_cap_month: Decimal | None = strawberry.field(
        default=None, description="The most orders may take per UTC month."
    )
    low_balance: Decimal | None = strawberry.field(
        default=None, description="Send account.balance_low when the balance falls below this."
    )
    margin_policy: MarginPolicy = strawberry.field(
        default=MarginPolicy.SKIP, description="What a breach of the minimum margin does."
    )


@strawberry.input(description="Changes to an account: absent fields keep, null clears.")
class UpdateAccountInput:
    price_list: PriceListInput | None = strawberry.field(
        default=strawberry.UNSET, description="A new price list, replacing the old one."
    )
    credit_limit: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="How far below 0 the balance may go."
    )
    spend_cap_day: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="The most orders may take per UTC day."
    )
    spend_cap_month: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="The most orders may take per UTC month."
    )
    low_balance: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="The balance_low threshold."
    )
    margin_policy: MarginPolicy | None = strawberry.field(
        default=strawberry.UNSET, description="What a breach of the minimum margin does."
    )


@strawberry.type(description="No client account has this name.")
class AccountNotFoundError(UserError):
    name: str = strawberry.field(description="The name asked for.")


@strawberry.type(description="The account, as it now stands.")
class AccountSuccess:
    account: AccountNode = strawberry.field(description="The account.")


@strawberry.type(description="The money moved; the account, as it now stands.")
class MovementSuccess:
    account: AccountNode = strawberry.field(description="The account.")
    movement: MovementNode = strawberry.field(description="The movement recorded.")


AccountResult = Annotated[
    AccountSuccess | AccountNotFoundError | ValidationError,
    strawberry.union("AccountResult", description="The account, or why it was not changed."),
]
MovementResult = Annotated[
    MovementSuccess | AccountNotFoundError | ValidationError,
    strawberry.union("MovementResult", description="The movement, or why none was made."),
]

# -- checks ----------------------------------------------------------------------------------


def checked_name(name: str, field: str = "name") -> str:
    name = name.strip()
    if not NAME.match(name):
        raise Invalid(
            "an account name has 1 to 100 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit", "INVALID_NAME", field,
        )  # fmt: skip
    return name


def amount(value: Decimal | None, field: str, *, positive: bool = False) -> Decimal | None:
    """`value` as a ledger amount: at most 4 places, in range; >= 0, or > 0 when `positive`."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -MAX_PLACES or abs(value) >= MAX_AMOUNT:
        raise Invalid(
            f"{field} must have at most {MAX_PLACES} decimal places and be below {MAX_AMOUNT:,}",
            "INVALID_AMOUNT", field,
        )  # fmt: skip
    if value < 0 or (positive and value == 0):
        raise Invalid(
            f"{field} must be {'above' if positive else 'at least'} 0", "INVALID_AMOUNT", field
        )
    return value


def checked_reason(reason: str | None, *, required: bool) -> str | None:
    reason = (reason or "").strip() or None
    if reason is None and required:
        raise Invalid("give a reason", "REASON_REQUIRED", "reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise Invalid(f"a reason has at most {MAX_REASON} characters", "INVALID_REASON", "reason")
    return reason


_PRICE_LIST_NAMES = schema_names(["markup_percent", "min_margin_percent", "service_id"])


def _message(exc: pydantic.ValidationError) -> str:
    """The first problem pydantic found, as a sentence for the client, naming the input's
    fields as the schema does (the price list's model says ``markup_percent``)."""
    text = str(exc.errors()[0].get("msg", "invalid price list"))
    return _PRICE_LIST_NAMES(text.removeprefix("Value error, "))


def _percent(value: Decimal | None, name: str, field: str) -> None:
    """A price list's percentage has at most 4 decimal places, as the CLI takes it."""
    exponent = None if value is None else value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise Invalid(
            f"{name} must have at most {MAX_PLACES} decimal places", "INVALID_PRICE_LIST", field
        )


def _override(given: OverrideInput, field: str) -> Override:
    try:
        amount(given.rate, "rate", positive=True)
    except Invalid as exc:
        raise Invalid(str(exc), "INVALID_PRICE_LIST", field) from None
    _percent(given.markup_percent, "markupPercent", field)
    try:
        return Override(
            platform=given.platform, metric=given.metric, service_id=given.service_id,
            markup_percent=given.markup_percent, rate=given.rate,
        )  # fmt: skip
    except pydantic.ValidationError as exc:
        raise Invalid(_message(exc), "INVALID_PRICE_LIST", field) from None


def price_list(given: PriceListInput | None) -> dict[str, Any]:
    """The stored form (JSON) of a price list input, checked."""
    if given is None:
        return PriceList().model_dump(mode="json")
    if len(given.overrides) > MAX_OVERRIDES:
        raise Invalid(f"at most {MAX_OVERRIDES} overrides", "INVALID_PRICE_LIST", "priceList")
    _percent(given.markup_percent, "markupPercent", "priceList")
    _percent(given.min_margin_percent, "minMarginPercent", "priceList")
    overrides = tuple(
        _override(o, f"priceList.overrides.{i}") for i, o in enumerate(given.overrides)
    )
    try:
        made = PriceList(
            markup_percent=given.markup_percent,
            min_margin_percent=given.min_margin_percent,
            overrides=overrides,
        )
    except pydantic.ValidationError as exc:
        raise Invalid(_message(exc), "INVALID_PRICE_LIST", "priceList") from None
    return made.model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class Limits:
    """The checked amounts of an account's limits."""

    credit_limit: Decimal | None
    spend_cap_day: Decimal | None
    spend_cap_month: Decimal | None
    low_balance: Decimal | None


def limits(given: CreateAccountInput) -> Limits:
    return Limits(
        credit_limit=amount(given.credit_limit, "creditLimit"),
        spend_cap_day=amount(given.spend_cap_day, "spendCapDay", positive=True),
        spend_cap_month=amount(given.spend_cap_month, "spendCapMonth", positive=True),
        low_balance=amount(given.low_balance, "lowBalance"),
    )


def changes(given: UpdateAccountInput) -> dict[str, Any]:
    """The columns an update changes, checked (absent fields are left out)."""
    found: dict[str, Any] = {}
    if given.price_list is not strawberry.UNSET:
        if given.price_list is None:
            raise Invalid("priceList cannot be null", "INVALID_PRICE_LIST", "priceList")
        found["price_list"] = price_list(given.price_list)
    if given.margin_policy is not strawberry.UNSET:
        if given.margin_policy is None:
            raise Invalid("marginPolicy cannot be null", "INVALID_POLICY", "marginPolicy")
        found["margin_policy"] = enum_value(given.margin_policy)
    for name, field, positive in (
        ("credit_limit", "creditLimit", False), ("spend_cap_day", "spendCapDay", True),
        ("spend_cap_month", "spendCapMonth", True), ("low_balance", "lowBalance", False),
    ):  # fmt: skip
        value = getattr(given, name)
        if value is not strawberry.UNSET:
            found[name] = amount(value, field, positive=positive)
    return found
