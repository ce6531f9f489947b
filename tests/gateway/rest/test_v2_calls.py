"""Every v2 call through the real app, in all three encodings, in the seed's exact shapes."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from gateway.catalog import listed_rate
from gateway.core import Gateway
from gateway.rest.v2_shapes import money_text, rate_text
from tests.gateway.panels import EUR_TO_USD, Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import ENCODINGS, order_fields, shared_group, v2
from tests.gateway.syncing import sync_statuses

SERVICE_KEYS = ["service", "name", "type", "category", "rate", "min", "max", "refill", "cancel"]
STATUS_KEYS = ["charge", "start_count", "status", "remains", "currency"]


DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def is_decimal_text(value: object) -> bool:
    """Plain decimal digits: no exponent, no "Infinity" or "NaN", no sign but minus."""
    return isinstance(value, str) and DECIMAL_TEXT.fullmatch(value) is not None


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "NaN", "1E-7", "1e3", "+1", " 1", ""])
def test_decimal_text_refuses_what_panels_never_send(text: str) -> None:
    assert not is_decimal_text(text)


@pytest.mark.parametrize("text", ["0", "0.90", "8.00", "-1.5", "0.00001"])
def test_decimal_text_takes_plain_amounts(text: str) -> None:
    assert is_decimal_text(text)


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_services_are_the_unified_groups_in_the_seed_shape(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, encoding: str
) -> None:
    services = await v2(client, encoding, key=keys.reader, action="services")
    assert isinstance(services, list)
    assert services
    for entry in services:
        assert list(entry) == SERVICE_KEYS
        assert isinstance(entry["service"], int)
        assert all(isinstance(entry[k], str) for k in ("name", "type", "category"))
        assert is_decimal_text(entry["rate"])
        assert entry["min"].isdigit()
        assert entry["max"].isdigit()
        assert isinstance(entry["refill"], bool)
        assert isinstance(entry["cancel"], bool)
    group = await shared_group(gw)
    [shown] = [s for s in services if s["service"] == group.id]
    # What the dearest order in the range costs at the cheapest member that takes it.
    assert shown["rate"] == rate_text(listed_rate(group.members))
    assert shown["min"] == str(min(m.service.min for m in group.members))
    assert shown["max"] == str(max(m.service.max for m in group.members))
    assert shown["refill"] == any(m.service.refill for m in group.members)


async def test_services_leave_out_providers_that_cannot_take_orders(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    group = await shared_group(gw)
    widest = max(group.members, key=lambda m: m.service.max)
    others = [m for m in group.members if m.provider != widest.provider]
    for _ in range(gw.health.threshold):
        gw.health.failure(widest.provider, "down")
    services = await v2(client, "form", key=keys.reader, action="services")
    [shown] = [s for s in services if s["service"] == group.id]
    assert shown["max"] == str(max(m.service.max for m in others))
    assert shown["rate"] == rate_text(listed_rate(others))


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_an_order_life_in_every_encoding(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys, encoding: str
) -> None:
    group = await shared_group(gw, refill=True, cancel=True)
    key = keys.alice
    placed = await v2(client, encoding, key=key, action="add", **order_fields(group, 1))
    assert list(placed) == ["order"]
    assert isinstance(placed["order"], int)
    order = placed["order"]
    dropped = (await v2(client, encoding, key=key, action="add", **order_fields(group, 2)))["order"]

    await sync_statuses(gw)
    one = await v2(client, encoding, key=key, action="status", order=order)
    assert list(one) == STATUS_KEYS
    assert all(isinstance(v, str) for v in one.values())
    assert one["status"] in ("Pending", "In progress")
    assert one["currency"] == "USD"
    assert is_decimal_text(one["charge"])
    row = await gw.store.get_order(order)
    assert row.provider is not None
    panel = trio.sims[row.provider].panel
    [upstream] = [o for o in panel.orders() if o.fields.get("link") == row.request["link"]]
    to_usd = EUR_TO_USD if row.provider == "gamma" else Decimal(1)
    assert upstream.charge > 0
    assert one["charge"] == money_text(upstream.charge * to_usd), "what the panel charged"

    canceled = await v2(client, encoding, key=key, action="cancel", orders=f"{dropped},999999")
    assert canceled == [
        {"order": dropped, "cancel": 1},
        {"order": 999999, "cancel": {"error": "Incorrect order ID"}},
    ]

    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)
    many = await v2(client, encoding, key=key, action="status", orders=f"{order},{dropped},424242")
    assert list(many) == [str(order), str(dropped), "424242"]
    assert many["424242"] == {"error": "Incorrect order ID"}
    assert many[str(order)]["status"] in ("Completed", "Partial")
    assert many[str(dropped)]["status"] == "Canceled"

    refill = await v2(client, encoding, key=key, action="refill", order=order)
    assert list(refill) == ["refill"]
    assert isinstance(refill["refill"], str)
    assert refill["refill"].isdigit()
    refills = await v2(client, encoding, key=key, action="refill", orders=f"{order},31337")
    assert refills[1] == {"order": 31337, "refill": {"error": "Incorrect order ID"}}
    assert refills[0] == {"order": order, "refill": int(refill["refill"])}, (
        "an order with an open refill answers that refill"
    )

    status = await v2(client, encoding, key=key, action="refill_status", refill=refill["refill"])
    assert list(status) == ["status"]
    assert status["status"] in ("Pending", "In progress", "Completed", "Rejected")
    trio.advance(14 * 24 * 3600)
    statuses = await v2(
        client, encoding, key=key, action="refill_status", refills=f"{refill['refill']},777"
    )
    assert statuses[0]["refill"] == int(refill["refill"])
    assert statuses[0]["status"] in ("Completed", "Rejected")
    assert statuses[1] == {"refill": 777, "status": {"error": "Refill not found"}}

    refused = await v2(client, encoding, key=key, action="balance")
    assert refused == {"error": "Balance is not available for this API key"}
    balance = await v2(client, encoding, key=keys.admin, action="balance")
    assert list(balance) == ["balance", "currency"]
    assert balance["currency"] == "USD"
    total = (await gw.balances.fetch()).total.amount
    assert Decimal(balance["balance"]) == total.quantize(Decimal("0.00001"))


async def test_bearer_header_and_key_field_are_the_same_caller(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    group = await shared_group(gw)
    placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    bearer = {"Authorization": f"Bearer {keys.alice}"}
    seen = await v2(client, "form", headers=bearer, action="status", order=placed["order"])
    assert "status" in seen
    other = await v2(client, "json", key=keys.bob, action="status", order=placed["order"])
    assert other == {"error": "Incorrect order ID"}, "a client sees only its own orders"
    admin = await v2(client, "query", key=keys.admin, action="status", order=placed["order"])
    assert "status" in admin
    _, ops = await gw.store.create_api_key("dashboard", "dashboard", ["ops"])
    seen_by_ops = await v2(client, "form", key=ops, action="status", order=placed["order"])
    assert seen_by_ops == admin, "an operator's ops key reads every client's orders"


async def test_idempotency_key_places_the_order_once(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await shared_group(gw)
    header = {"Idempotency-Key": "order-77"}
    fields = order_fields(group, 77)
    first = await v2(client, "form", headers=header, key=keys.alice, action="add", **fields)
    again = await v2(client, "json", headers=header, key=keys.alice, action="add", **fields)
    assert first == again
    assert sum(trio.calls("add").values()) == 1


async def test_trailing_slash_and_json_lists_are_accepted(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    group = await shared_group(gw)
    placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    response = await client.post(
        "/api/v2/", json={"key": keys.alice, "action": "status", "orders": [placed["order"], 5]}
    )
    answer = response.json()
    assert list(answer) == [str(placed["order"]), "5"]
