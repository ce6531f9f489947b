"""What ``/api/v2`` refill and cancel tell a client when a panel does not do them: the v2 text
for a refusal, "try again later" when the call to the panel failed, never the panel's own
words (its order ids, or "Invalid API key", which a panel client reads as its own key
refused). The operator still reads the panel's words in the ledger and on GraphQL."""

from __future__ import annotations

import httpx

from gateway.catalog import Group
from gateway.core import Gateway
from gateway.orders.outcomes import CANCEL_REFUSED, REFILL_REFUSED, TRY_LATER
from gateway.rest import v2_texts as texts
from providers.models import ServiceType
from providers.simulator import Fault, FaultKind
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, v2
from tests.gateway.syncing import sync_statuses


async def sent_first_to(gw: Gateway, provider: str) -> Group:
    """A default-type group whose cheapest member is `provider`'s."""
    snapshot = await gw.catalog.snapshot()
    for group in sorted(snapshot.groups.values(), key=lambda g: g.id):
        if group.type is ServiceType.DEFAULT and group.cheapest.provider == provider:
            return group
    raise AssertionError(f"no group sent to {provider} first")


def answer(trio: Trio, name: str, action: str, text: str) -> None:
    """`name`'s panel answers every `action` call with ``{"error": text}``."""
    trio.sims[name].faults.add(
        Fault(FaultKind.ERROR, actions=frozenset({action}), params={"text": text})
    )


async def test_a_cancel_the_panel_leaves_out_is_refused_without_the_panels_order_id(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    # beta (the sloppy profile) answers {"canceled": [ids]}: a completed order is left out.
    group = await sent_first_to(gw, "beta")
    placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    row = await gw.store.get_order(placed["order"])
    assert row.provider == "beta"
    assert row.provider_order_id is not None
    trio.advance(14 * 24 * 3600)
    await sync_statuses(gw)

    batch = await v2(client, "form", key=keys.alice, action="cancel", orders=placed["order"])
    assert batch == [{"order": placed["order"], "cancel": {"error": CANCEL_REFUSED}}]
    assert row.provider_order_id not in str(batch)
    single = await v2(client, "json", key=keys.admin, action="cancel", order=placed["order"])
    assert single == batch, "a panel client of the operator's is told the same"


async def test_a_panel_refusing_the_gateways_key_is_a_fault_to_retry_not_the_clients_key(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await sent_first_to(gw, "alpha")
    placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    order = placed["order"]
    answer(trio, "alpha", "refill", "Invalid API key")
    answer(trio, "alpha", "cancel", "Invalid API key")

    single = await v2(client, "form", key=keys.alice, action="refill", order=order)
    assert single == {"error": TRY_LATER}
    assert single != {"error": texts.INVALID_KEY}
    batch = await v2(client, "query", key=keys.alice, action="refill", orders=order)
    assert batch == [{"order": order, "refill": {"error": TRY_LATER}}]
    canceled = await v2(client, "json", key=keys.alice, action="cancel", orders=str(order))
    assert canceled == [{"order": order, "cancel": {"error": TRY_LATER}}]


async def test_a_refill_the_panel_refuses_is_told_in_the_v2_text(
    client: httpx.AsyncClient, gw: Gateway, trio: Trio, keys: Keys
) -> None:
    group = await sent_first_to(gw, "alpha")
    placed = await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
    answer(trio, "alpha", "refill", "Refill for order 4242 is not possible yet")

    refused = await v2(client, "form", key=keys.alice, action="refill", order=placed["order"])
    assert refused == {"error": REFILL_REFUSED}
    refills = await gw.orders.refill([placed["order"]], None)
    assert refills[0].error == "Refill for order 4242 is not possible yet", "the operator's view"
