"""Every error path of ``/api/v2``: HTTP 200, ``{"error": ...}`` with the texts panel clients
know, and never a 500 whatever the input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core import Gateway
from providers.models import ServiceType
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import ENCODINGS, order_fields, shared_group, v2, v2_raw


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_bad_or_missing_keys_are_invalid(client: httpx.AsyncClient, encoding: str) -> None:
    assert await v2(client, encoding, action="balance") == {"error": "Invalid API key"}
    wrong = await v2(client, encoding, key="smmgw_not-a-real-key-at-all", action="balance")
    assert wrong == {"error": "Invalid API key"}
    assert await v2(client, encoding, key="x" * 5000, action="services") == {
        "error": "Invalid API key"
    }


@pytest.mark.parametrize("action", [None, "", "delete_everything", "servicess"])
async def test_unknown_actions_are_incorrect_requests(
    client: httpx.AsyncClient, keys: Keys, action: str | None
) -> None:
    fields: dict[str, Any] = {"key": keys.alice}
    if action is not None:
        fields["action"] = action
    assert await v2(client, "form", **fields) == {"error": "Incorrect request"}


async def test_actions_are_read_case_and_space_insensitively(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    answer = await v2(client, "form", key=keys.admin, action=" Balance ")
    assert list(answer) == ["balance", "currency"]


async def test_read_only_keys_cannot_order(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    group = await shared_group(gw)
    answer = await v2(client, "form", key=keys.reader, action="add", **order_fields(group))
    assert answer == {"error": "This action is Invalid"}
    assert await v2(client, "form", key=keys.reader, action="cancel", orders="1") == {
        "error": "This action is Invalid"
    }


@pytest.mark.parametrize("service", ["", "abc", "-1", "1.5", "99999999", "9" * 40])
async def test_unknown_services(client: httpx.AsyncClient, keys: Keys, service: str) -> None:
    answer = await v2(
        client, "form", key=keys.alice, action="add", service=service, link="https://x.com/a",
        quantity=100,
    )  # fmt: skip
    assert answer == {"error": "Incorrect service ID"}


async def test_quantity_errors_name_the_limits(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    group = await shared_group(gw)
    low = min(m.service.min for m in group.members)
    high = max(m.service.max for m in group.members)
    # Larger than any member takes is split across providers, a part each: the most an order
    # can be is the sum of each provider's largest maximum.
    largest = {p: max(m.service.max for m in group.members if m.provider == p)
               for p in group.providers}  # fmt: skip
    together = sum(largest.values())
    text = f"Quantity must be between {low} and {together}"
    for quantity in ("", "0", "-5", "ten", str(together + 1), str(10**30)):
        fields = {**order_fields(group), "quantity": quantity}
        answer = await v2(client, "form", key=keys.alice, action="add", **fields)
        assert answer == {"error": text}, quantity
    for quantity in ("1.5", f"{low}.5", "1e3", "1,000", f"-{low}.0"):
        fields = {**order_fields(group), "quantity": quantity}
        answer = await v2(client, "form", key=keys.alice, action="add", **fields)
        assert answer == {"error": text}, quantity
    split = {**order_fields(group), "quantity": str(high + 1)}
    assert set(await v2(client, "form", key=keys.alice, action="add", **split)) == {"order"}
    # A drip-feed is never split: one member takes each run.
    drip = {**order_fields(group), "quantity": str(high + 1), "runs": "2", "interval": "5"}
    answer = await v2(client, "form", key=keys.alice, action="add", **drip)
    assert answer == {"error": f"Quantity must be between {low} and {high}"}


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_whole_quantity_written_with_a_decimal_point_is_that_quantity(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, encoding: str
) -> None:
    group = await shared_group(gw)
    low = max(m.service.min for m in group.members)
    for n, written in enumerate((f"{low}.0", f"{low}.", f" {low}.000 ")):
        fields = {**order_fields(group), "link": f"https://instagram.com/w{n}", "quantity": written}
        answer = await v2(client, encoding, key=keys.alice, action="add", **fields)
        assert set(answer) == {"order"}, written
        order = await gw.store.get_order(answer["order"])
        assert order.request["quantity"] == low


async def test_link_errors(client: httpx.AsyncClient, gw: Gateway, keys: Keys) -> None:
    group = await shared_group(gw)
    fields = {**order_fields(group), "link": ""}
    answer = await v2(client, "form", key=keys.alice, action="add", **fields)
    assert answer == {"error": "Link is required"}


async def test_drip_feed_on_a_type_without_it(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    snapshot = await gw.catalog.snapshot()
    package = next(g for g in snapshot.groups.values() if g.type.value == "Package")
    answer = await v2(
        client, "form", key=keys.alice, action="add", service=package.id,
        link="https://x.com/a", runs=3, interval=10,
    )  # fmt: skip
    assert answer == {"error": "This services does not support Dripfeed feature!"}


async def test_no_funds_anywhere(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw)
    for sim in trio.sims.values():
        sim.panel.set_account(sim.key or "", Decimal(0))
    answer = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    assert answer == {"error": "Not enough funds on balance"}


async def test_batches_over_100_ids_and_missing_ids(client: httpx.AsyncClient, keys: Keys) -> None:
    ids = ",".join(str(i) for i in range(1, 102))
    for action in ("status", "refill", "cancel"):
        answer = await v2(client, "form", key=keys.alice, action=action, orders=ids)
        assert answer == {"error": "Too many IDs: up to 100 per request"}
        assert await v2(client, "form", key=keys.alice, action=action) == {
            "error": "Incorrect request"
        }
    refills = await v2(client, "form", key=keys.alice, action="refill_status", refills=ids)
    assert refills == {"error": "Too many IDs: up to 100 per request"}
    exactly = ",".join(str(i) for i in range(1, 101))
    answer = await v2(client, "form", key=keys.alice, action="status", orders=exactly)
    assert len(answer) == 100
    assert all(v == {"error": "Incorrect order ID"} for v in answer.values())
    assert await v2(client, "form", key=keys.alice, action="status", order="x") == {
        "error": "Incorrect order ID"
    }
    assert await v2(client, "form", key=keys.alice, action="refill_status", refill="0") == {
        "error": "Refill not found"
    }


async def test_malformed_and_oversized_bodies(client: httpx.AsyncClient, keys: Keys) -> None:
    for body, kind in (
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"key": {"nested": 1}}', "application/json"),
        (b"\xff\xfe\x00garbage", "multipart/form-data; boundary=zzz"),
    ):
        response = await client.post("/api/v2", content=body, headers={"Content-Type": kind})
        assert response.status_code == 200
        assert response.json() == {"error": "Incorrect request"}
    # A custom comments order lists up to thousands of lines: hundreds of KB are a request.
    long = {"key": keys.alice, "action": "services", "pad": "x" * (300 * 1024)}
    response = await v2_raw(client, "form", long)
    assert isinstance(response.json(), list), response.json()
    huge = {"key": keys.alice, "action": "services", "pad": "x" * (1024 * 1024)}
    response = await v2_raw(client, "form", huge)
    assert response.json() == {"error": "Request too large"}


async def test_multipart_forms_are_read(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(
        "/api/v2", files={"key": (None, keys.admin), "action": (None, "balance")}
    )
    assert list(response.json()) == ["balance", "currency"]


text = st.text(max_size=40)
fields = st.dictionaries(
    st.sampled_from(
        ["key", "action", "service", "link", "quantity", "order", "orders", "refill", "refills",
         "runs", "interval", "comments", "x"]
    ),
    st.one_of(text, st.integers(-(10**20), 10**20).map(str)),
    max_size=8,
)  # fmt: skip
actions = st.sampled_from(
    ["services", "add", "status", "refill", "refill_status", "cancel", "balance"]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=fields, action=actions, encoding=st.sampled_from(ENCODINGS), keyed=st.booleans())
async def test_fuzzed_calls_always_answer_json(
    client: httpx.AsyncClient,
    keys: Keys,
    fields: dict[str, str],
    action: str,
    encoding: str,
    keyed: bool,
) -> None:
    if keyed:
        fields = {**fields, "key": keys.alice, "action": action}
    response = await v2_raw(client, encoding, fields)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert isinstance(answer, dict | list)
    assert answer != {"error": "Internal server error"}


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_order_counts_no_panel_means_are_refused_by_name_not_echoed(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, encoding: str
) -> None:
    # Each was an "Internal server error" (a cost too large to round, a count too long to
    # write), Python's own sentence, or the value sent quoted back at any length; the
    # exponents cost the event loop seconds each.
    group = await shared_group(gw)
    drip = {**order_fields(group), "key": keys.alice, "action": "add", "interval": 5}
    for runs in ("99999999999999999", "1e300000", "9" * 5000, str(2**31), "2.5", "<b>x</b>"):
        assert await v2(client, encoding, **drip, runs=runs) == {"error": "Incorrect runs"}
    delay = {**drip, "runs": 2, "interval": "x" * 3000}
    assert await v2(client, encoding, **delay) == {"error": "Incorrect interval"}
    snapshot = await gw.catalog.snapshot()
    subscriptions = next(g for g in snapshot.groups.values() if g.type is ServiceType.SUBSCRIPTIONS)
    least = subscriptions.min
    subscribe: dict[str, Any] = {
        "key": keys.alice, "action": "add", "service": subscriptions.id,
        "username": "someone", "min": least, "max": least,
    }  # fmt: skip
    for field, value in (("posts", "9" * 5000), ("delay", "1e1000000"), ("max", "1e300000")):
        answer = await v2(client, encoding, **{**subscribe, field: value})
        assert answer == {"error": f"Incorrect {field}"}
    assert await gw.store.list_orders(None, None, None, 10) == []


async def test_a_head_request_changes_nothing(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    # A HEAD's answer has no body: an order it placed was never told to its client (a link
    # checker's probe of a GET-style URL placed it, and the GET after it placed it again).
    group = await shared_group(gw)
    add = {"key": keys.alice, "action": "add", **order_fields(group)}
    for fields in (add, {**add, "action": "refill", "order": 1}, {**add, "action": "cancel"}):
        response = await client.head("/api/v2", params=fields)
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
    assert await gw.store.list_orders(None, None, None, 10) == []
    assert sum(trio.calls("add").values()) == 0
    read = await client.head("/api/v2", params={"key": keys.alice, "action": "balance"})
    assert read.status_code == 200
    placed = await v2(client, "query", **add)
    assert [r.id for r in await gw.store.list_orders(None, None, None, 10)] == [placed["order"]]
