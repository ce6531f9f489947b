"""Client accounts over GraphQL for operators: create, update, suspend, resume, top up and adjust
(admin), read them and the margin report (ops), typed refusals of bad input, keys made for an
account, and what each kind of key may see. The ledger adds up after every test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.core import Gateway
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.helpers import PLACE, order_input, shared_group
from tests.gateway.graphql.server import Api, ApiFactory

ACCOUNT_FIELDS = """
    id name currency state balance held creditLimit available spendToday spendThisMonth
    spendCapDay spendCapMonth lowBalance marginPolicy
    priceList { markupPercent minMarginPercent
                overrides { platform metric serviceId markupPercent rate } }
"""
RESULT = """
    __typename
    ... on UserError { message code }
    ... on ValidationError { field }
    ... on AccountNotFoundError { name }
"""
CREATE = """
mutation($input: CreateAccountInput!) {
  createAccount(input: $input) { RESULT ... on AccountSuccess { account { ACCOUNT } } }
}
""".replace("RESULT", RESULT).replace("ACCOUNT", ACCOUNT_FIELDS)
UPDATE = """
mutation($name: String!, $input: UpdateAccountInput!) {
  updateAccount(name: $name, input: $input) { RESULT ... on AccountSuccess { account { ACCOUNT } } }
}
""".replace("RESULT", RESULT).replace("ACCOUNT", ACCOUNT_FIELDS)
SUSPEND = """
mutation($name: String!) {
  suspendAccount(name: $name) { RESULT ... on AccountSuccess { account { name state } } }
}
""".replace("RESULT", RESULT)
RESUME = SUSPEND.replace("suspendAccount", "resumeAccount")
TOP_UP = """
mutation($name: String!, $amount: Decimal!, $reason: String) {
  topUp(name: $name, amount: $amount, reason: $reason) {
    RESULT
    ... on MovementSuccess { account { balance held available }
                             movement { id kind amount orderId reason createdAt } }
  }
}
""".replace("RESULT", RESULT)
ADJUST = """
mutation($name: String!, $amount: Decimal!, $reason: String!) {
  adjustAccount(name: $name, amount: $amount, reason: $reason) {
    RESULT
    ... on MovementSuccess { account { balance } movement { kind amount reason } }
  }
}
""".replace("RESULT", RESULT)
ACCOUNT = """
query($name: String!, $first: Int, $after: String) {
  account(name: $name) {
    ACCOUNT
    movements(first: $first, after: $after) {
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id kind amount orderId reason } }
    }
  }
}
""".replace("ACCOUNT", ACCOUNT_FIELDS)
ACCOUNTS = "{ accounts { name balance } }"
MARGIN = """
query($since: DateTime, $until: DateTime) {
  marginReport(since: $since, until: $until) {
    account provider day orders revenue cost margin
  }
}
"""
CLIENT_FIELDS = """
    id name currency state balance held creditLimit available spendToday spendThisMonth
    spendCapDay spendCapMonth lowBalance
"""
"""What a key of the account itself may read of it: its money and limits, not how its prices
are made."""
VIEWER = """{ viewer { clientId scopes account { ACCOUNT movements { nodes { kind amount } } } } }
""".replace("ACCOUNT", CLIENT_FIELDS)
CREATE_KEY = """
mutation($name: String!, $scopes: [String!]!, $clientId: String, $account: String) {
  createApiKey(name: $name, scopes: $scopes, clientId: $clientId, account: $account) {
    __typename
    ... on CreateApiKeySuccess { secret apiKey { id clientId scopes account } }
    ... on UserError { message code }
    ... on ValidationError { field }
    ... on AccountNotFoundError { name }
  }
}
"""


@pytest.fixture(autouse=True)
async def ledger_adds_up(gw: Gateway) -> AsyncIterator[None]:
    yield
    assert await gw.store.ledger_problems() == []


async def create(admin: Api, name: str, **fields: Any) -> dict[str, Any]:
    """``createAccount`` for `name`; the payload."""
    data = await admin.data(CREATE, {"input": {"name": name, **fields}})
    payload: dict[str, Any] = data["createAccount"]
    return payload


async def funded(admin: Api, name: str, amount: str, **fields: Any) -> dict[str, Any]:
    """A new account with `amount` topped up; the account as ``topUp`` answered."""
    made = await create(admin, name, **fields)
    assert made["__typename"] == "AccountSuccess", made
    topped = (await admin.data(TOP_UP, {"name": name, "amount": amount}))["topUp"]
    assert topped["__typename"] == "MovementSuccess", topped
    account: dict[str, Any] = topped["account"]
    return account


async def account_key(admin: Api, account: str, scope: str = "order") -> str:
    """The secret of a new key of `account`."""
    data = await admin.data(CREATE_KEY, {"name": f"{account}-key", "scopes": [scope],
                                         "account": account})  # fmt: skip
    payload = data["createApiKey"]
    assert payload["__typename"] == "CreateApiKeySuccess", payload
    secret: str = payload["secret"]
    return secret


async def low_and_high(api: ApiFactory, admin: Api) -> tuple[Api, Api]:
    """Callers for two funded accounts priced 10% ("low") and 50% ("high") over cost."""
    for name, markup in (("low", "10"), ("high", "50")):
        await funded(admin, name, "10", priceList={"markupPercent": markup})
    return api(await account_key(admin, "low")), api(await account_key(admin, "high"))


async def test_admin_makes_funds_and_reads_an_account(api: ApiFactory, keys: Keys) -> None:
    admin = api(keys.admin)
    price_list = {
        "markupPercent": "20", "minMarginPercent": "5",
        "overrides": [{"platform": "instagram", "metric": "followers", "markupPercent": "35"},
                      {"serviceId": 7, "rate": "1.25"}],
    }  # fmt: skip
    made = await create(
        admin, "shop", priceList=price_list, creditLimit="10", spendCapDay="50",
        lowBalance="5", marginPolicy="REPRICE",
    )  # fmt: skip
    assert made["__typename"] == "AccountSuccess", made
    account = made["account"]
    assert account["name"] == "shop"
    assert account["state"] == "ACTIVE"
    assert (account["balance"], account["held"], account["available"]) == ("0", "0", "10")
    assert (account["creditLimit"], account["spendCapDay"], account["spendCapMonth"]) == (
        "10", "50", None
    )  # fmt: skip
    assert account["marginPolicy"] == "REPRICE"
    assert account["currency"] == "USD"
    assert account["priceList"]["markupPercent"] == "20"
    assert account["priceList"]["overrides"] == [
        {"platform": "instagram", "metric": "followers", "serviceId": None,
         "markupPercent": "35", "rate": None},
        {"platform": None, "metric": None, "serviceId": 7, "markupPercent": None,
         "rate": "1.25"},
    ]  # fmt: skip

    topped = await admin.data(TOP_UP, {"name": "shop", "amount": "100.50", "reason": "inv 7"})
    topped = topped["topUp"]
    assert topped["__typename"] == "MovementSuccess", topped
    assert topped["account"]["balance"] == "100.5"
    assert topped["movement"]["kind"] == "TOPUP"
    assert (topped["movement"]["amount"], topped["movement"]["reason"]) == ("100.5", "inv 7")
    adjusted = await admin.data(ADJUST, {"name": "shop", "amount": "-0.5", "reason": "fee"})
    assert adjusted["adjustAccount"]["account"]["balance"] == "100"
    assert adjusted["adjustAccount"]["movement"] == {
        "kind": "ADJUSTMENT", "amount": "-0.5", "reason": "fee"
    }  # fmt: skip

    first = (await admin.data(ACCOUNT, {"name": "shop", "first": 1}))["account"]
    assert first["balance"] == "100"
    assert (first["spendToday"], first["spendThisMonth"]) == ("0", "0")
    page = first["movements"]
    assert [e["node"]["kind"] for e in page["edges"]] == ["ADJUSTMENT"]
    assert page["pageInfo"]["hasNextPage"] is True
    after = page["pageInfo"]["endCursor"]
    rest = (await admin.data(ACCOUNT, {"name": "shop", "after": after}))["account"]["movements"]
    assert [e["node"]["kind"] for e in rest["edges"]] == ["TOPUP"]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (False, True)
    assert await admin.error_codes(ACCOUNT, {"name": "shop", "after": "bogus"}) == [
        "BAD_USER_INPUT"
    ]

    ops = api(keys.ops)
    assert (await ops.data(ACCOUNTS))["accounts"] == [{"name": "shop", "balance": "100"}]
    assert (await ops.data(ACCOUNT, {"name": "shop"}))["account"]["name"] == "shop"
    assert (await ops.data(ACCOUNT, {"name": "nobody"}))["account"] is None
    assert (await ops.data(MARGIN))["marginReport"] == []
    assert (await ops.data("{ ledgerProblems }"))["ledgerProblems"] == []


async def test_update_suspend_and_resume(api: ApiFactory, keys: Keys) -> None:
    admin = api(keys.admin)
    await funded(admin, "shop", "20", creditLimit="10", lowBalance="2")
    changes = {"spendCapDay": "15", "creditLimit": None, "priceList": {"markupPercent": "50"}}
    updated = (await admin.data(UPDATE, {"name": "shop", "input": changes}))["updateAccount"]
    assert updated["__typename"] == "AccountSuccess", updated
    account = updated["account"]
    assert (account["spendCapDay"], account["creditLimit"], account["lowBalance"]) == (
        "15", None, "2"
    )  # fmt: skip
    assert account["priceList"]["markupPercent"] == "50"
    assert account["available"] == "20"

    suspended = (await admin.data(SUSPEND, {"name": "shop"}))["suspendAccount"]
    assert suspended["account"] == {"name": "shop", "state": "SUSPENDED"}
    resumed = (await admin.data(RESUME, {"name": "shop"}))["resumeAccount"]
    assert resumed["account"] == {"name": "shop", "state": "ACTIVE"}
    missing = (await admin.data(SUSPEND, {"name": "nobody"}))["suspendAccount"]
    assert missing == {
        "__typename": "AccountNotFoundError", "message": "no account named 'nobody'",
        "code": "ACCOUNT_NOT_FOUND", "name": "nobody",
    }  # fmt: skip


async def test_bad_input_is_a_typed_error_and_changes_nothing(api: ApiFactory, keys: Keys) -> None:
    admin = api(keys.admin)
    await funded(admin, "shop", "10")

    async def refused(
        query: str, variables: dict[str, Any], kind: str = "ValidationError"
    ) -> tuple[str, str | None]:
        answer = await admin.execute(query, variables)
        assert "errors" not in answer, answer
        [payload] = answer["data"].values()
        assert payload["__typename"] == kind, payload
        return payload["code"], payload.get("field")

    def creating(**fields: Any) -> dict[str, Any]:
        return {"input": {"name": "other", **fields}}

    missing = "AccountNotFoundError"
    for name in (" ", "a b", "-x", "x" * 101):
        assert await refused(CREATE, {"input": {"name": name}}) == ("INVALID_NAME", "name")
    assert await refused(CREATE, {"input": {"name": "shop"}}) == ("ACCOUNT_EXISTS", "name")
    for field, value in (
        ("creditLimit", "-1"), ("spendCapDay", "0"), ("spendCapMonth", "-2"),
        ("lowBalance", "1.00001"),
    ):  # fmt: skip
        assert await refused(CREATE, creating(**{field: value})) == ("INVALID_AMOUNT", field)
    overrides = "priceList.overrides.0"
    for override in (
        {"metric": "likes", "markupPercent": "5", "rate": "1"},
        {"platform": "myspace", "markupPercent": "5"},
        {"markupPercent": "5"},
        {"metric": "likes", "rate": "-1"},
    ):
        assert await refused(CREATE, creating(priceList={"overrides": [override]})) == (
            "INVALID_PRICE_LIST", overrides
        ), override  # fmt: skip
    for bad_list in ({"minMarginPercent": "-1"}, {"markupPercent": "-100"}):
        assert await refused(CREATE, creating(priceList=bad_list)) == (
            "INVALID_PRICE_LIST", "priceList"
        ), bad_list  # fmt: skip
    assert await refused(UPDATE, {"name": "shop", "input": {"priceList": None}}) == (
        "INVALID_PRICE_LIST", "priceList"
    )  # fmt: skip
    assert await refused(UPDATE, {"name": "nobody", "input": {"spendCapDay": "1"}}, missing) == (
        "ACCOUNT_NOT_FOUND", None
    )  # fmt: skip
    for amount in ("0", "-5", "0.00001", "1000000000000"):
        assert await refused(TOP_UP, {"name": "shop", "amount": amount}) == (
            "INVALID_AMOUNT", "amount"
        ), amount  # fmt: skip
    assert await refused(TOP_UP, {"name": "nobody", "amount": "1"}, missing) == (
        "ACCOUNT_NOT_FOUND", None
    )  # fmt: skip
    assert await refused(ADJUST, {"name": "shop", "amount": "1", "reason": "  "}) == (
        "REASON_REQUIRED", "reason"
    )  # fmt: skip
    assert await refused(ADJUST, {"name": "shop", "amount": "0", "reason": "x"}) == (
        "INVALID_AMOUNT", "amount"
    )  # fmt: skip
    # A float is inexact: the scalar refuses it before any resolver runs.
    inexact = await admin.execute(TOP_UP, {"name": "shop", "amount": 1.1})
    assert inexact["data"] is None
    assert "strings" in inexact["errors"][0]["message"], inexact
    # So is anything but plain digits, as the CLI refuses it: 1e3 is not taken for 1000.
    exponents = ("1e3", "1E+3", "-1e2")
    for written in (*exponents, "NaN", "Infinity", "-inf", "1_000", "12,50"):
        for query in (TOP_UP, ADJUST):
            answer = await admin.execute(query, {"name": "shop", "amount": written, "reason": "x"})
            assert answer["data"] is None, (written, answer)
            message = answer["errors"][0]["message"]
            assert "not a plain decimal number" in message, (written, message)
            assert ("exponent" in message) == (written in exponents), message
    literal = 'mutation { topUp(name: "shop", amount: 1e3) { __typename } }'
    assert "exponent" in (await admin.execute(literal))["errors"][0]["message"]
    too_fine: list[tuple[dict[str, Any], str]] = [
        ({"markupPercent": "20.00001"}, "priceList"),
        ({"minMarginPercent": "0.00001"}, "priceList"),
        ({"overrides": [{"metric": "likes", "markupPercent": "5.12345"}]}, overrides),
    ]
    for prices, field in too_fine:
        assert await refused(CREATE, creating(priceList=prices)) == (
            "INVALID_PRICE_LIST", field
        ), prices  # fmt: skip

    after = (await admin.data(ACCOUNT, {"name": "shop"}))["account"]
    assert after["balance"] == "10"
    assert [e["node"]["kind"] for e in after["movements"]["edges"]] == ["TOPUP"]
    assert [a["name"] for a in (await admin.data(ACCOUNTS))["accounts"]] == ["shop"]


async def test_price_list_refusals_name_the_inputs_fields(api: ApiFactory, keys: Keys) -> None:
    admin = api(keys.admin)
    said = {
        "markupPercent must be above -100 and at most 1000000": {"markupPercent": "-100"},
        "minMarginPercent must be between 0 and 1000000": {"minMarginPercent": "-1"},
        "an override has exactly one of markupPercent and rate": {
            "overrides": [{"metric": "likes"}]
        },
        "an override names a platform, a metric or a serviceId": {
            "overrides": [{"markupPercent": "5"}]
        },
    }
    for message, prices in said.items():
        refusal = await create(admin, "other", priceList=prices)
        assert (refusal["code"], refusal["message"]) == ("INVALID_PRICE_LIST", message)


async def test_an_override_for_an_unknown_service_is_refused(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    admin = api(keys.admin)
    await funded(admin, "shop", "10", priceList={"markupPercent": "20"})
    known = await shared_group(gw)
    overrides = [
        {"serviceId": known.id, "rate": "2"},
        {"serviceId": 99999, "rate": "1"},
        {"metric": "likes", "markupPercent": "5"},
        {"serviceId": 99998, "rate": "1"},
    ]
    refusal = {
        "__typename": "ValidationError",
        "code": "INVALID_PRICE_LIST",
        "message": "unknown services 99999, 99998",
        "field": "priceList.overrides.1",
    }
    made = await create(admin, "other", priceList={"overrides": overrides})
    assert made == refusal
    changed = {"priceList": {"markupPercent": "50", "overrides": overrides[:2]}}
    updated = (await admin.data(UPDATE, {"name": "shop", "input": changed}))["updateAccount"]
    assert updated == {**refusal, "message": "unknown service 99999"}

    assert [a["name"] for a in (await admin.data(ACCOUNTS))["accounts"]] == ["shop"]
    prices = (await admin.data(ACCOUNT, {"name": "shop"}))["account"]["priceList"]
    assert (prices["markupPercent"], prices["overrides"]) == ("20", [])
    fine = await create(admin, "other", priceList={"overrides": overrides[:1]})
    assert fine["account"]["priceList"]["overrides"][0]["serviceId"] == known.id


async def test_who_may_read_and_change_accounts(api: ApiFactory, keys: Keys) -> None:
    admin = api(keys.admin)
    await funded(admin, "shop", "10")
    await funded(admin, "rival", "99")
    shop = api(await account_key(admin, "shop"))
    reads: list[tuple[str, dict[str, Any] | None]] = [
        (ACCOUNTS, None), (ACCOUNT, {"name": "rival"}), (MARGIN, None), ("{ ledgerProblems }", None)
    ]  # fmt: skip
    writes: list[tuple[str, dict[str, Any] | None]] = [
        (CREATE, {"input": {"name": "new"}}), (SUSPEND, {"name": "rival"}),
        (TOP_UP, {"name": "shop", "amount": "1000"}),
        (ADJUST, {"name": "shop", "amount": "1000", "reason": "mine"}),
        (UPDATE, {"name": "shop", "input": {"creditLimit": "1000"}}),
    ]  # fmt: skip
    for client in (shop, api(keys.alice), api(keys.reader)):
        for query, variables in reads + writes:
            answer = await client.execute(query, variables)
            assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"], query
            assert "rival" not in str(answer.get("data"))
            assert "99" not in str(answer.get("data"))
    ops = api(keys.ops)
    for query, variables in reads:
        assert await ops.error_codes(query, variables) == [], query
    for query, variables in writes:
        assert await ops.error_codes(query, variables) == ["FORBIDDEN"], query
    balances = {a["name"]: a["balance"] for a in (await ops.data(ACCOUNTS))["accounts"]}
    assert balances == {"rival": "99", "shop": "10"}


async def test_keys_of_an_account_see_their_own_account(api: ApiFactory, keys: Keys) -> None:
    admin = api(keys.admin)
    await funded(admin, "shop", "12.5", spendCapMonth="100")
    made = (await admin.data(CREATE_KEY, {"name": "front", "scopes": ["order"],
                                          "account": "shop"}))["createApiKey"]  # fmt: skip
    assert made["__typename"] == "CreateApiKeySuccess", made
    assert made["apiKey"]["clientId"] == "shop"
    assert made["apiKey"]["account"] == "shop"
    listed = (await admin.data("{ apiKeys { name account } }"))["apiKeys"]
    assert {k["name"]: k["account"] for k in listed}["front"] == "shop"
    assert {k["name"]: k["account"] for k in listed}["admin"] is None

    viewer = (await api(made["secret"]).data(VIEWER))["viewer"]
    assert viewer["clientId"] == "shop"
    account = viewer["account"]
    assert (account["name"], account["balance"], account["spendCapMonth"]) == (
        "shop", "12.5", "100"
    )  # fmt: skip
    assert account["movements"]["nodes"] == [{"kind": "TOPUP", "amount": "12.5"}]
    for operator in (keys.admin, keys.ops, keys.alice):
        assert (await api(operator).data(VIEWER))["viewer"]["account"] is None

    async def refusal(**variables: Any) -> tuple[str, str]:
        payload = await admin.data(CREATE_KEY, {"name": "k", "scopes": ["order"], **variables})
        payload = payload["createApiKey"]
        return payload["__typename"], payload["code"]

    assert await refusal(account="nobody") == ("AccountNotFoundError", "ACCOUNT_NOT_FOUND")
    assert await refusal(account="shop", scopes=["ops"]) == ("ValidationError", "INVALID_SCOPE")
    assert await refusal(account="shop", clientId="other") == ("ValidationError", "INVALID_CLIENT")


async def test_an_accounts_key_reads_nothing_its_costs_follow_from(
    api: ApiFactory, keys: Keys
) -> None:
    admin = api(keys.admin)
    price_list = {"markupPercent": "20", "minMarginPercent": "5",
                  "overrides": [{"metric": "likes", "markupPercent": "35"}]}  # fmt: skip
    await funded(admin, "shop", "12.5", priceList=price_list, marginPolicy="REPRICE")
    shop = api(await account_key(admin, "shop"))
    query = """{ viewer { account { balance marginPolicy priceList {
        markupPercent minMarginPercent overrides { metric markupPercent rate } } } } }"""
    answer = await shop.execute(query)
    assert answer["data"] == {
        "viewer": {"account": {"balance": "12.5", "marginPolicy": None, "priceList": None}}
    }
    refused = {tuple(e["path"]): e["extensions"] for e in answer["errors"]}
    assert refused == {
        ("viewer", "account", "marginPolicy"): {"code": "FORBIDDEN", "scope": "ops"},
        ("viewer", "account", "priceList"): {"code": "FORBIDDEN", "scope": "ops"},
    }
    for operator in (keys.ops, keys.admin):
        seen = (await api(operator).data(ACCOUNT, {"name": "shop"}))["account"]
        assert (seen["marginPolicy"], seen["priceList"]["markupPercent"]) == ("REPRICE", "20")


async def test_an_adjustment_may_take_an_account_past_its_credit_limit(
    api: ApiFactory, keys: Keys, gw: Gateway
) -> None:
    admin = api(keys.admin)
    await funded(admin, "shop", "5", creditLimit="10")
    shop = api(await account_key(admin, "shop"))
    taken = await admin.data(ADJUST, {"name": "shop", "amount": "-100", "reason": "chargeback"})
    assert taken["adjustAccount"]["account"] == {"balance": "-95"}
    account = (await admin.data(ACCOUNT, {"name": "shop"}))["account"]
    assert (account["balance"], account["creditLimit"], account["available"]) == (
        "-95", "10", "-85"
    )  # fmt: skip
    assert (await admin.data("{ ledgerProblems }"))["ledgerProblems"] == []
    # Orders keep to the limit: nothing may be held until funds come in.
    group = await shared_group(gw)
    placed = (await shop.data(PLACE, {"input": order_input(group)}))["placeOrder"]
    assert placed["__typename"] == "InsufficientFundsError", placed
    mine = (await shop.data("{ viewer { account { balance available held } } }"))["viewer"]
    assert mine["account"] == {"balance": "-95", "available": "-85", "held": "0"}


async def test_margin_report_arguments_are_checked(api: ApiFactory, keys: Keys) -> None:
    ops = api(keys.ops)
    since, until = "2026-01-02T00:00:00+00:00", "2026-01-01T00:00:00+00:00"
    assert await ops.error_codes(MARGIN, {"since": since, "until": until}) == ["BAD_USER_INPUT"]
    far = {"since": "2024-01-01T00:00:00+00:00", "until": "2026-01-01T00:00:00+00:00"}
    assert await ops.error_codes(MARGIN, far) == ["BAD_USER_INPUT"]
    assert (await ops.data(MARGIN, {"since": "2026-01-01T00:00:00"}))["marginReport"] == []
    first_day = {"until": "0001-01-01T00:00:00"}  # the default since would be before year 1
    assert await ops.error_codes(MARGIN, first_day) == ["BAD_USER_INPUT"]
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        answer = await ops.execute(MARGIN, {"until": moment})
        assert answer["data"] is None
        assert "before year 1 or after year 9999" in answer["errors"][0]["message"]
