"""The rules that keep placement from doubling an order: an error that does not prove the order
absent is never sent to another provider, and an idempotency key answers only the request it
was made for (its needs included)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from gateway.config import Settings
from gateway.core import Gateway
from gateway.orders import IdempotencyConflict, fingerprint
from gateway.routing import Need
from gateway.store import GatewayState
from providers.errors import Ambiguous, ProviderError, classify_error_text
from providers.models import OrderRequest, PlacedOrder
from providers.v2 import V2Provider
from tests.gateway.panels import PANELS, Trio, shared_group, start_trio, trio_settings
from tests.gateway.transports import Switchboard, open_switched_gateway

# A panel text no table knows: it proves nothing about whether the order exists.
UNKNOWN_TEXT = "Order could not be processed, contact support"


class LooseAdapter(V2Provider):
    """An adapter that leaves an unknown refusal of `add` as a plain `ProviderError`, as one
    registered from outside this package may: placement must not trust it to say Ambiguous."""

    async def add(self, request: OrderRequest, **options: Any) -> PlacedOrder:
        try:
            return await super().add(request, **options)
        except Ambiguous as exc:
            raise ProviderError(exc.message, provider=self.name) from None


@pytest.fixture
def trio() -> Iterator[Trio]:
    with ExitStack() as stack:
        yield start_trio(stack)


@pytest.fixture
def settings(trio: Trio, database_url: str, redis_url: str, namespace: str) -> Settings:
    return trio_settings(trio, database_url, redis_url, namespace)


@pytest.fixture
def boards() -> dict[str, Switchboard]:
    return {spec.name: Switchboard() for spec in PANELS}


@pytest.fixture
async def gw(
    settings: Settings, trio: Trio, boards: dict[str, Switchboard]
) -> AsyncIterator[Gateway]:
    async with open_switched_gateway(settings, trio, boards, adapter=LooseAdapter) as gateway:
        yield gateway


def fields(n: int = 0) -> dict[str, object]:
    return {"link": f"https://instagram.com/p/{n}", "quantity": 100}


async def test_an_add_error_that_proves_nothing_is_never_sent_elsewhere(
    gw: Gateway, trio: Trio, boards: dict[str, Switchboard]
) -> None:
    assert not classify_error_text(UNKNOWN_TEXT).not_placed
    group = await shared_group(gw)
    ranked = [c.offer.provider for c in (await gw.quote(group.id, fields())).candidates]
    assert len(set(ranked)) == 3
    boards[ranked[0]].answer("add", {"error": UNKNOWN_TEXT})
    order = await gw.place("c", group.id, fields())
    assert boards[ranked[0]].answered == {"add": 1}
    assert trio.calls("add") == {name: 0 for name in trio.sims}, "no other provider was asked"
    assert order.provider == ranked[0]
    assert order.provider_order_id is None
    assert order.state in (GatewayState.FAILED, GatewayState.UNCONFIRMED)
    assert [a["provider"] for a in order.attempts] == [ranked[0]]


async def test_an_add_error_that_proves_absence_does_fail_over(
    gw: Gateway, trio: Trio, boards: dict[str, Switchboard]
) -> None:
    group = await shared_group(gw)
    ranked = [c.offer.provider for c in (await gw.quote(group.id, fields())).candidates]
    boards[ranked[0]].answer("add", {"error": "Not enough funds on balance"})
    order = await gw.place("c", group.id, fields())
    after = next(name for name in ranked if name != ranked[0])
    assert order.provider == after
    assert order.provider_order_id
    assert trio.calls("add") == {name: int(name == after) for name in trio.sims}


def test_the_fingerprint_depends_on_the_needs() -> None:
    sent = fields()
    plain = fingerprint(7, sent, frozenset())
    assert fingerprint(7, dict(sent), frozenset()) == plain
    assert fingerprint(7, sent, frozenset({Need.REFILL})) != plain
    assert fingerprint(7, sent, frozenset({Need.CANCEL})) != plain
    assert fingerprint(7, sent, frozenset({Need.REFILL})) != fingerprint(
        7, sent, frozenset({Need.CANCEL})
    )
    assert fingerprint(8, sent, frozenset()) != plain
    assert fingerprint(7, fields(1), frozenset()) != plain


async def test_a_key_reused_with_other_needs_is_a_conflict_not_a_replay(
    gw: Gateway, trio: Trio
) -> None:
    group = await shared_group(gw, refill=True, cancel=True)
    first = await gw.place("c", group.id, fields(), idempotency_key="k")
    with pytest.raises(IdempotencyConflict):
        await gw.place("c", group.id, fields(), idempotency_key="k", needs=frozenset({Need.REFILL}))
    again = await gw.place("c", group.id, fields(), idempotency_key="k")
    assert again.id == first.id
    assert sum(trio.calls("add").values()) == 1
