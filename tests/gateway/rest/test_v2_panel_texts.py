"""``/api/v2 add`` answers a panel's refusal with the text a panel shows, never its message key,
and a corrected request may reuse the ``Idempotency-Key`` of an order that was never placed."""

from __future__ import annotations

import httpx

from gateway.core import Gateway
from gateway.rest import v2_texts as texts
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import v2
from tests.gateway.test_idempotency_reuse import DUPLICATE, gamma_group, order


async def test_a_duplicate_link_is_told_in_words_and_a_corrected_retry_places(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    group = await gamma_group(gw)
    first = order(group, "https://instagram.com/someone")
    second = order(group, "https://instagram.com/someone-else")
    taken = await v2(client, "form", key=keys.alice, action="add", service=group.id, **first)
    assert set(taken) == {"order"}

    header = {"Idempotency-Key": "cart-42"}
    args = {"key": keys.alice, "action": "add", "service": group.id}
    refused = await v2(client, "form", headers=header, **args, **first)
    assert refused == {"error": DUPLICATE}
    assert await v2(client, "json", headers=header, **args, **first) == refused
    assert trio.calls("add")["gamma"] == 2

    corrected = await v2(client, "form", headers=header, **args, **second)
    assert set(corrected) == {"order"}
    assert corrected["order"] != taken["order"]
    assert await v2(client, "json", headers=header, **args, **second) == corrected
    assert await v2(client, "form", headers=header, **args, **first) == {"error": texts.KEY_REUSED}
    assert trio.calls("add")["gamma"] == 3
