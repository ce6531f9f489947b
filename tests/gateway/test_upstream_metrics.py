"""Upstream call metrics count what reached a panel: an order the gateway stops at its own last
check before sending (an account's hold refused, an order overtaken) is no upstream call."""

from __future__ import annotations

import uuid

import pytest

from gateway.core import Gateway
from gateway.metrics import REGISTRY
from gateway.upstream_metrics import InstrumentedProvider
from providers.models import OrderRequest
from tests.gateway.panels import Trio, shared_group


class Refused(Exception):
    pass


def add_calls(provider: str) -> dict[str, float]:
    """Counted add calls of `provider`, by outcome."""
    return {
        sample.labels["outcome"]: sample.value
        for family in REGISTRY.collect()
        if family.name == "smmgw_upstream_calls"
        for sample in family.samples
        if sample.name == "smmgw_upstream_calls_total"
        and sample.labels["provider"] == provider
        and sample.labels["action"] == "add"
    }


async def test_an_order_stopped_before_it_leaves_is_not_an_upstream_call(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw)
    member = next(m for m in group.members if m.provider == "alpha")
    request = OrderRequest(
        service=member.service.id, link="https://instagram.com/metrics", quantity=member.service.min
    )
    name = f"alpha-{uuid.uuid4().hex[:8]}"  # a series of its own in the process's registry
    wrapped = InstrumentedProvider(gw.providers["alpha"], name)
    sent_before = sum(trio.calls("add").values())

    async def refuse() -> None:
        raise Refused

    with pytest.raises(Refused):
        await wrapped.add(request, before_send=refuse)
    assert add_calls(name) == {}
    assert sum(trio.calls("add").values()) == sent_before, "the panel was not called"

    async def go_ahead() -> None:
        return None

    await wrapped.add(request, before_send=go_ahead)
    assert add_calls(name) == {"ok": 1.0}
    assert sum(trio.calls("add").values()) == sent_before + 1
