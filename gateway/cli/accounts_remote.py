"""``smm-gateway accounts`` on a running gateway (``--url/--key``), through its GraphQL API:
reading needs an ``ops`` key, changing an ``admin`` key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.cli.accounts_shape import (
    Terms,
    account_fields,
    missing,
    money,
    moved_fields,
    movement_fields,
)
from gateway.cli.remote import RemoteError, graphql

ACCOUNT = """id name currency state balance held creditLimit available spendCapDay
  spendCapMonth lowBalance marginPolicy priceList { markupPercent minMarginPercent
  overrides { serviceId } }"""
MOVEMENT = "id kind amount orderId reason createdAt"
FAILURE = "... on UserError { message code }"

LIST_QUERY = f"{{ accounts {{ {ACCOUNT} }} }}"
SHOW_QUERY = f"""query($name: String!, $first: Int!) {{ account(name: $name) {{ {ACCOUNT}
  spendToday spendThisMonth movements(first: $first) {{ nodes {{ {MOVEMENT} }} }} }} }}"""
CREATE_MUTATION = f"""mutation($input: CreateAccountInput!) {{ createAccount(input: $input) {{
  __typename ... on AccountSuccess {{ account {{ {ACCOUNT} }} }} {FAILURE} }} }}"""
TOP_UP_MUTATION = f"""mutation($name: String!, $amount: Decimal!, $reason: String) {{
  topUp(name: $name, amount: $amount, reason: $reason) {{ __typename
    ... on MovementSuccess {{ account {{ name balance held }} movement {{ {MOVEMENT} }} }}
    {FAILURE} }} }}"""
ADJUST_MUTATION = f"""mutation($name: String!, $amount: Decimal!, $reason: String!) {{
  adjustAccount(name: $name, amount: $amount, reason: $reason) {{ __typename
    ... on MovementSuccess {{ account {{ name balance held }} movement {{ {MOVEMENT} }} }}
    {FAILURE} }} }}"""
STATE_MUTATION = """mutation($name: String!) {{ {field}(name: $name) {{ __typename
  ... on AccountSuccess {{ account {{ {account} }} }} {failure} }} }}"""
CHECK_QUERY = "{ accounts { id } ledgerProblems }"


def _succeeded(answer: dict[str, Any] | None) -> dict[str, Any]:
    """A mutation's success payload; a typed failure (a ``UserError``) as a `RemoteError`."""
    if not answer:
        raise RemoteError("the gateway gave no answer")
    if not str(answer.get("__typename", "")).endswith("Success"):
        raise RemoteError(str(answer.get("message") or answer.get("__typename")))
    return answer


def _row(node: dict[str, Any]) -> dict[str, Any]:
    prices = node["priceList"]
    return account_fields(
        id=node["id"], name=node["name"], state=node["state"], currency=node["currency"],
        balance=node["balance"], held=node["held"], available=node["available"],
        credit_limit=node["creditLimit"], markup=prices["markupPercent"],
        min_margin=prices["minMarginPercent"], overrides=len(prices["overrides"]),
        daily_cap=node["spendCapDay"], monthly_cap=node["spendCapMonth"],
        low_balance=node["lowBalance"], policy=node["marginPolicy"],
    )  # fmt: skip


def _movement(node: dict[str, Any]) -> dict[str, Any]:
    return movement_fields(
        id=node["id"], at=node["createdAt"], kind=node["kind"], amount=node["amount"],
        order=node["orderId"], reason=node["reason"],
    )  # fmt: skip


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


class RemoteAccounts:
    """The accounts of the gateway at `url`, asked with `key`."""

    def __init__(self, url: str, key: str) -> None:
        self._url = url
        self._key = key

    def _ask(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return graphql(self._url, self._key, query, variables)

    def create(self, name: str, terms: Terms) -> dict[str, Any]:
        prices = {"markupPercent": _text(terms.markup), "minMarginPercent": _text(terms.min_margin)}
        fields = {
            "name": name, "priceList": prices, "creditLimit": _text(terms.credit_limit),
            "spendCapDay": _text(terms.daily_cap), "spendCapMonth": _text(terms.monthly_cap),
            "lowBalance": _text(terms.low_balance), "marginPolicy": terms.policy.upper(),
        }  # fmt: skip
        made = {k: v for k, v in fields.items() if v is not None}
        answer = self._ask(CREATE_MUTATION, {"input": made})["createAccount"]
        return _row(_succeeded(answer)["account"])

    def every(self) -> list[dict[str, Any]]:
        return [_row(node) for node in self._ask(LIST_QUERY)["accounts"]]

    def show(self, name: str, movements: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        node = self._ask(SHOW_QUERY, {"name": name, "first": movements})["account"]
        if node is None:
            raise RemoteError(missing(name))
        row = {
            **_row(node),
            "spent_today": money(node["spendToday"]),
            "spent_this_month": money(node["spendThisMonth"]),
        }
        return row, [_movement(m) for m in node["movements"]["nodes"]]

    def top_up(self, name: str, amount: Decimal, reason: str | None) -> dict[str, Any]:
        variables = {"name": name, "amount": _text(amount), "reason": reason}
        return self._moved(self._ask(TOP_UP_MUTATION, variables)["topUp"])

    def adjust(self, name: str, amount: Decimal, reason: str) -> dict[str, Any]:
        variables = {"name": name, "amount": _text(amount), "reason": reason}
        return self._moved(self._ask(ADJUST_MUTATION, variables)["adjustAccount"])

    @staticmethod
    def _moved(answer: dict[str, Any]) -> dict[str, Any]:
        made = _succeeded(answer)
        account = made["account"]
        movement = _movement(made["movement"])
        return moved_fields(account["name"], movement, account["balance"], account["held"])

    def set_state(self, name: str, state: str) -> dict[str, Any]:
        field = "suspendAccount" if state == "suspended" else "resumeAccount"
        query = STATE_MUTATION.format(field=field, account=ACCOUNT, failure=FAILURE)
        return _row(_succeeded(self._ask(query, {"name": name})[field])["account"])

    def check(self) -> tuple[int, list[str]]:
        try:
            found = self._ask(CHECK_QUERY)
        except RemoteError as exc:
            if "ledgerProblems" not in str(exc):
                raise
            raise RemoteError(
                "this gateway cannot check its ledger over its API: run `smm-gateway accounts "
                "check --config FILE` with its configuration"
            ) from None
        return len(found["accounts"]), list(found["ledgerProblems"])
