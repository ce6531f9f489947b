"""Outcomes that mean what they say: FAILED only when provably not placed, quantity refusals
move on, a provider's reused order id is recorded and flagged. Three simulated panels over real
HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from gateway.catalog import Group
from gateway.core import Gateway
from gateway.events import FLAG_PROVIDER_ORDER_ID_REUSED
from gateway.rest.v2_texts import failed_text
from gateway.store import GatewayState
from providers.models import OrderState
from providers.simulator import Fault, FaultKind, SimulatorServer, build_panel
from tests.gateway.panels import PANELS, Trio, shared_group


def fields_for(group: Group, n: int = 0) -> dict[str, object]:
    quantity = max(m.service.min for m in group.members)
    return {"link": f"https://instagram.com/p/{n}", "quantity": quantity}


async def ranked(gw: Gateway, group: Group) -> list[str]:
    return [c.offer.provider for c in (await gw.quote(group.id, fields_for(group))).candidates]


def answer_add(
    sim: SimulatorServer, text: str, status: int = 200, count: int | None = 1, **params: object
) -> None:
    """The panel's next `count` `add` calls (None: all) answer ``{"error": text}``."""
    rule = Fault(FaultKind.ERROR, actions=frozenset({"add"}), count=count,
                 params={"text": text, "status": status, **params})  # fmt: skip
    sim.faults.add(rule)


@pytest.mark.parametrize(
    ("status", "text", "process"),
    [(200, "Order could not be processed", "true"), (409, "Conflict", "false")],
)
async def test_an_answer_that_proves_nothing_leaves_the_order_unconfirmed(
    gw: Gateway, trio: Trio, status: int, text: str, process: str
) -> None:
    group = await shared_group(gw)
    members = await ranked(gw, group)
    answer_add(trio.sims[members[0]], text, status, process=process)
    order = await gw.place("c", group.id, fields_for(group))
    assert order.state == GatewayState.UNCONFIRMED
    assert text in (order.error or ""), "the panel's words are kept"
    assert [(a["provider"], a["error"]) for a in order.attempts] == [(members[0], "Ambiguous")]
    assert trio.calls("add") == {name: int(name == members[0]) for name in trio.sims}


async def test_a_quantity_refusal_tries_the_next_member(gw: Gateway, trio: Trio) -> None:
    group = await shared_group(gw)
    members = await ranked(gw, group)
    answer_add(trio.sims[members[0]], "Quantity less than minimal 5000")
    order = await gw.place("c", group.id, fields_for(group))
    assert order.state == OrderState.PENDING
    assert order.provider == members[1]
    assert [a["error"] for a in order.attempts] == ["InvalidQuantity"]


async def test_when_every_member_refuses_the_quantity_the_order_fails_with_the_panel_text(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    members = await ranked(gw, group)
    texts = {name: f"Quantity more than maximum {10 + n}" for n, name in enumerate(trio.sims)}
    for name, text in texts.items():
        answer_add(trio.sims[name], text, count=None)
    order = await gw.place("c", group.id, fields_for(group))
    assert order.state == GatewayState.FAILED
    assert order.error == texts[members[-1]]
    assert [a["provider"] for a in order.attempts] == members
    assert failed_text(order.attempts) == texts[members[-1]], "what /api/v2 answers"


@pytest.mark.parametrize("text", ["Incorrect link", "Link is required"])
async def test_the_clients_own_mistake_still_stops_at_the_first_member(
    gw: Gateway, trio: Trio, text: str
) -> None:
    group = await shared_group(gw)
    members = await ranked(gw, group)
    answer_add(trio.sims[members[0]], text)
    order = await gw.place("c", group.id, fields_for(group))
    assert order.state == GatewayState.FAILED
    assert order.error == text
    assert trio.calls("add") == {name: int(name == members[0]) for name in trio.sims}


def restarted(trio: Trio, name: str) -> SimulatorServer:
    """The panel `name` restarted on its port with its key: it numbers orders from the start."""
    old = trio.sims[name]
    spec = next(s for s in PANELS if s.name == name)
    old.stop()
    panel = build_panel(
        seed=spec.seed, services=300, profile=old.profile, keys=[old.key or ""],
        currency=spec.currency, balance=Decimal(100000), clock=trio.clock,
    )  # fmt: skip
    fresh = SimulatorServer(panel, old.profile, key=old.key, port=old.port)
    trio.sims[name] = fresh
    return fresh


async def test_an_order_id_reused_by_a_restarted_panel_is_recorded_and_flagged(
    gw: Gateway, trio: Trio, caplog: pytest.LogCaptureFixture
) -> None:
    group = await shared_group(gw)
    members = await ranked(gw, group)
    first = await gw.place("c", group.id, fields_for(group, 1))
    assert first.provider == members[0]
    with restarted(trio, members[0]), caplog.at_level(logging.WARNING):
        second = await gw.place("c", group.id, fields_for(group, 2))
    assert second.state == OrderState.PENDING
    assert (second.provider, second.provider_order_id) == (first.provider, first.provider_order_id)
    assert second.flags == [FLAG_PROVIDER_ORDER_ID_REUSED]
    assert first.flags is None or FLAG_PROVIDER_ORDER_ID_REUSED not in first.flags
    assert f"order id {first.provider_order_id}" in caplog.text
    flagged = [
        e.payload["data"]
        for e in await gw.store.pending_outbox(100)
        if e.payload["data"].get("flag") == FLAG_PROVIDER_ORDER_ID_REUSED
    ]
    assert [d["order"]["id"] for d in flagged] == [second.id]
    assert flagged[0]["order"]["flags"] == [FLAG_PROVIDER_ORDER_ID_REUSED]
    read = await gw.orders.status([first.id, second.id], "c")
    assert [(o.order_id, o.error, o.order is not None) for o in read] == [
        (first.id, None, True),
        (second.id, None, True),
    ], "both orders stay readable"
