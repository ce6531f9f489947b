"""Managing client accounts (admin): ``createAccount``, ``updateAccount``, ``suspendAccount``,
``resumeAccount``, ``topUp`` and ``adjustAccount``. Bad input and unknown names are typed
payloads (`account_inputs`); every change of money is a ledger movement."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry

from gateway.accounts.errors import AccountExists, AccountNotFound
from gateway.graphql.account_inputs import (
    AccountNotFoundError,
    AccountResult,
    AccountSuccess,
    CreateAccountInput,
    Invalid,
    MovementResult,
    MovementSuccess,
    UpdateAccountInput,
    amount,
    changes,
    checked_name,
    checked_reason,
    limits,
    price_list,
)
from gateway.graphql.account_types import AccountNode, AccountState, MovementNode, enum_value
from gateway.graphql.context import Info
from gateway.graphql.fields import mutation
from gateway.graphql.payloads import ValidationError
from gateway.graphql.permissions import RequireAdmin
from gateway.store import AccountRow

ADMIN = [RequireAdmin]
NameArgument = Annotated[str, strawberry.argument(description="The account's name.")]


def _missing(name: str) -> AccountNotFoundError:
    return AccountNotFoundError(
        message=f"no account named {name!r}", code="ACCOUNT_NOT_FOUND", name=name
    )


async def _find(info: Info, name: str) -> AccountRow | AccountNotFoundError:
    row = await info.context.gateway.store.account(name.strip())
    return _missing(name.strip()) if row is None else row


async def _change(info: Info, name: str, **columns: Any) -> AccountResult:
    found = await _find(info, name)
    if not isinstance(found, AccountRow):
        return found
    try:
        row = await info.context.gateway.store.update_account(found.id, **columns)
    except AccountNotFound:
        return _missing(found.name)
    return AccountSuccess(account=AccountNode.of(row))


async def _moved(info: Info, account: AccountRow, movement: MovementNode) -> MovementResult:
    row = await info.context.gateway.store.account_by_id(account.id)
    if row is None:
        return _missing(account.name)
    return MovementSuccess(account=AccountNode.of(row), movement=movement)


@strawberry.type(description="Managing client accounts (admin).")
class AccountMutations:
    @mutation(
        "Make a client account (admin), in the base currency, with no funds: top it up, then "
        "make keys for it with `createApiKey(account: ...)`.",
        permission_classes=ADMIN,
    )
    async def create_account(self, info: Info, input: CreateAccountInput) -> AccountResult:
        gw = info.context.gateway
        try:
            name = checked_name(input.name)
            prices = price_list(input.price_list)
            checked = limits(input)
            await _known_services(info, prices)
        except Invalid as exc:
            return exc.error
        try:
            row = await gw.store.create_account(
                name, currency=gw.base_currency, price_list=prices,
                credit_limit=checked.credit_limit, spend_cap_day=checked.spend_cap_day,
                spend_cap_month=checked.spend_cap_month, low_balance=checked.low_balance,
                margin_policy=enum_value(input.margin_policy),
            )  # fmt: skip
        except AccountExists as exc:
            return ValidationError(message=exc.message, code="ACCOUNT_EXISTS", field="name")
        return AccountSuccess(account=AccountNode.of(row))

    @mutation(
        "Change an account's price list, limits or margin policy (admin): absent fields keep "
        "their value, null clears a limit.",
        permission_classes=ADMIN,
    )
    async def update_account(
        self, info: Info, name: NameArgument, input: UpdateAccountInput
    ) -> AccountResult:
        try:
            columns = changes(input)
            if "price_list" in columns:
                await _known_services(info, columns["price_list"])
        except Invalid as exc:
            return exc.error
        if not columns:
            found = await _find(info, name)
            return found if not isinstance(found, AccountRow) else AccountSuccess(
                account=AccountNode.of(found)
            )  # fmt: skip
        return await _change(info, name, **columns)

    @mutation(
        "Suspend an account (admin): its orders are refused until it is resumed; open orders "
        "settle as usual.",
        permission_classes=ADMIN,
    )
    async def suspend_account(self, info: Info, name: NameArgument) -> AccountResult:
        return await _change(info, name, state=enum_value(AccountState.SUSPENDED))

    @mutation("Let a suspended account order again (admin).", permission_classes=ADMIN)
    async def resume_account(self, info: Info, name: NameArgument) -> AccountResult:
        return await _change(info, name, state=enum_value(AccountState.ACTIVE))

    @mutation(
        "Add funds to an account (admin): a `topup` movement, announced as account.topped_up.",
        permission_classes=ADMIN,
    )
    async def top_up(
        self,
        info: Info,
        name: NameArgument,
        amount: Annotated[Decimal, strawberry.argument(description="What to add, above 0.")],
        reason: Annotated[
            str | None, strawberry.argument(description="Why, e.g. a payment reference.")
        ] = None,
    ) -> MovementResult:
        try:
            value = _amount(amount, positive=True)
            why = checked_reason(reason, required=False)
        except Invalid as exc:
            return exc.error
        found = await _find(info, name)
        if not isinstance(found, AccountRow):
            return found
        try:
            row = await info.context.gateway.store.top_up(found.id, value, reason=why)
        except AccountNotFound:
            return _missing(found.name)
        return await _moved(info, found, MovementNode.of(row))

    @mutation(
        "Correct an account's balance by a signed amount, with a reason (admin): an "
        "`adjustment` movement. It is never refused for the balance: taking money back (a "
        "chargeback) may leave the account past its credit limit, its `available` below 0.",
        permission_classes=ADMIN,
    )
    async def adjust_account(
        self,
        info: Info,
        name: NameArgument,
        amount: Annotated[
            Decimal, strawberry.argument(description="What to add (or, below 0, take).")
        ],
        reason: Annotated[str, strawberry.argument(description="Why: kept with the movement.")],
    ) -> MovementResult:
        try:
            value = _amount(amount, positive=False)
            why = checked_reason(reason, required=True)
        except Invalid as exc:
            return exc.error
        assert why is not None  # required
        found = await _find(info, name)
        if not isinstance(found, AccountRow):
            return found
        try:
            row = await info.context.gateway.store.adjust(found.id, value, reason=why)
        except AccountNotFound:
            return _missing(found.name)
        return await _moved(info, found, MovementNode.of(row))


async def _known_services(info: Info, prices: dict[str, Any]) -> None:
    """Refuse a price list (its stored form) whose overrides name a service id the catalog
    never gave, naming every such id and pointing at the first of their overrides."""
    named = [(i, o["service_id"]) for i, o in enumerate(prices["overrides"]) if o["service_id"]]
    if not named:
        return
    known = await info.context.gateway.store.known_group_ids(s for _, s in named)
    unknown = [(i, s) for i, s in named if s not in known]
    if unknown:
        ids = ", ".join(str(s) for _, s in unknown)
        raise Invalid(
            f"unknown service{'s' if len(unknown) > 1 else ''} {ids}",
            "INVALID_PRICE_LIST", f"priceList.overrides.{unknown[0][0]}",
        )  # fmt: skip


def _amount(value: Decimal, *, positive: bool) -> Decimal:
    """A top-up (above 0) or an adjustment (any sign, not 0), checked as a ledger amount."""
    if not positive and value == 0:
        raise Invalid("amount must not be 0", "INVALID_AMOUNT", "amount")
    amount(value if positive else abs(value), "amount", positive=positive)
    return value
