"""A property-based fuzz of every ``/api/v2`` action by keys of client accounts (with funds,
without, suspended, read-only): always HTTP 200 with JSON, the action's answer or a panel's
``{"error": text}``, never an internal error, and the account ledger adds up after each call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core import Gateway
from gateway.rest.v2_actions import ACTIONS
from tests.gateway.rest.accounts import assert_ledger, open_account
from tests.gateway.rest.helpers import ENCODINGS, order_fields, shared_group, v2, v2_raw
from tests.gateway.rest.test_v2_fuzz_actions import FIELDS, values

WHO = ("funded", "empty", "suspended", "reader")


@dataclass(frozen=True)
class AccountKeys:
    keys: dict[str, str]
    order: int
    """A real order of the funded account (fuzzed ids, 0 to 50, reach past the lookups)."""


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, dict[str, str], str, str]:
    action = draw(st.sampled_from(sorted(ACTIONS)))
    names = FIELDS[action]
    chosen = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    fields = {name: draw(values) for name in chosen}
    return action, fields, draw(st.sampled_from(WHO)), draw(st.sampled_from(ENCODINGS))


@pytest.fixture
async def accounts(client: httpx.AsyncClient, gw: Gateway) -> AccountKeys:
    funded = await open_account(gw, "funded", funds=Decimal(1000))
    empty = await open_account(gw, "empty")
    suspended = await open_account(gw, "suspended", funds=Decimal(1000))
    await gw.store.update_account(suspended.account.id, state="suspended")
    reader = await open_account(gw, "reader", funds=Decimal(5), scope="read")
    group = await shared_group(gw)
    answer = await v2(client, "form", key=funded.key, action="add", **order_fields(group))
    keys = {"funded": funded.key, "empty": empty.key, "suspended": suspended.key}
    return AccountKeys({**keys, "reader": reader.key}, int(answer["order"]))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call=calls())
async def test_every_action_answers_an_account_key_in_its_shape(
    client: httpx.AsyncClient,
    gw: Gateway,
    accounts: AccountKeys,
    call: tuple[str, dict[str, str], str, str],
) -> None:
    action, fields, who, encoding = call
    key = accounts.keys[who]
    response = await v2_raw(client, encoding, {**fields, "key": key, "action": action})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer: Any = response.json()
    assert answer != {"error": "Internal server error"}
    if isinstance(answer, dict) and set(answer) == {"error"}:
        assert isinstance(answer["error"], str)
        assert answer["error"]
    else:
        assert isinstance(answer, dict | list), answer
    await assert_ledger(gw)
