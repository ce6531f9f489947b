"""A property-based fuzz of every ``/api/v2`` action with the fields that action reads (every
order field of every service type for ``add``), by every kind of key: always HTTP 200 with JSON,
either the action's answer or ``{"error": text}``, never an internal error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core import Gateway
from gateway.rest.v2_actions import ACTIONS
from providers.models import OPTIONAL_FIELDS, REQUIRED_FIELDS
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import ENCODINGS, order_fields, shared_group, v2, v2_raw

ORDER_FIELDS = sorted({f for table in (REQUIRED_FIELDS, OPTIONAL_FIELDS) for t in table.values()
                       for f in t})  # fmt: skip
IDS = ("order", "orders", "refill", "refills")
FIELDS: dict[str, tuple[str, ...]] = {
    "services": (),
    "add": ("service", *ORDER_FIELDS),
    "status": ("order", "orders"),
    "refill": ("order", "orders"),
    "refill_status": ("refill", "refills"),
    "cancel": ("orders", "order"),
    "balance": (),
}
WHO = ("reader", "alice", "bob", "admin", "nobody")

numbers = st.integers(-(10**20), 10**20).map(str)
ids = st.lists(st.integers(0, 50).map(str), max_size=5).map(",".join)
values = st.one_of(st.text(max_size=30), numbers, ids, st.sampled_from(["", " ", "1", "0", "-1"]))


def test_every_action_is_fuzzed() -> None:
    assert set(FIELDS) == set(ACTIONS)


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, dict[str, str], str, str]:
    action = draw(st.sampled_from(sorted(ACTIONS)))
    names = FIELDS[action]
    chosen = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    fields = {name: draw(values) for name in chosen}
    return action, fields, draw(st.sampled_from(WHO)), draw(st.sampled_from(ENCODINGS))


@pytest.fixture
async def placed(client: httpx.AsyncClient, keys: Keys, gw: Gateway) -> int:
    """A real order of alice's, so that fuzzed ids (0 to 50) reach past the lookups too."""
    group = await shared_group(gw)
    answer = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    order = int(answer["order"])
    assert order <= 50
    return order


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(call=calls())
async def test_every_action_answers_json_in_its_shape(
    client: httpx.AsyncClient, keys: Keys, placed: int, call: tuple[str, dict[str, str], str, str]
) -> None:
    action, fields, who, encoding = call
    key = getattr(keys, who, "smmgw_not-a-key")
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
