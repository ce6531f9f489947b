"""``/api/v2 services`` from rendered bytes: the same bytes as computed afresh, an ETag on every
answer and a 304 for a caller who has it (in every encoding), each client account its own bytes
(also after its prices change), and a provider that falls over leaves the list."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.core import Gateway
from gateway.rest.responses import render_json
from gateway.rest.v2_actions import Call
from gateway.rest.v2_services import STATES_TTL, ServicesCache, service_list
from gateway.store.rows import AccountRow
from tests.gateway.rest.accounts import open_account
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import ENCODINGS, shared_group, v2_raw


async def fresh_bytes(gw: Gateway, account: AccountRow | None = None) -> bytes:
    """The answer computed now, rendered as every JSON answer of /api/v2 was before."""
    answer = service_list(await gw.catalog.snapshot(), await gw.provider_states(), account)
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


async def services(
    client: httpx.AsyncClient, key: str, encoding: str = "form", **headers: str
) -> httpx.Response:
    return await v2_raw(client, encoding, {"key": key, "action": "services"}, headers)


async def test_services_carry_an_etag_and_a_caller_who_has_them_gets_a_304(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    expected = await fresh_bytes(gw)
    etags = set()
    for encoding in ENCODINGS:
        first = await services(client, keys.reader, encoding)
        assert first.status_code == 200
        assert first.content == expected
        assert first.headers["content-type"] == "application/json"
        assert first.headers["cache-control"] == "private, no-cache"
        etag = first.headers["etag"]
        etags.add(etag)
        for named in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = await services(client, keys.reader, encoding, **{"If-None-Match": named})
            assert again.status_code == 304, named
            assert again.content == b""
            assert again.headers["etag"] == etag
            assert "x-ratelimit-remaining" in again.headers, "still counted against the key"
        changed = await services(client, keys.reader, encoding, **{"If-None-Match": '"other"'})
        assert changed.status_code == 200
        assert changed.content == expected
    assert len(etags) == 1, "one answer, one ETag, however it is asked"


async def test_an_etag_without_a_valid_key_is_still_refused(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    etag = (await services(client, keys.reader)).headers["etag"]
    refused = await services(client, "no-such-key", **{"If-None-Match": etag})
    assert refused.status_code == 200
    assert refused.json() == {"error": "Invalid API key"}
    assert "etag" not in refused.headers


async def test_each_account_gets_its_own_bytes_also_after_its_prices_change(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    low = await open_account(gw, "low", markup=Decimal(20))
    high = await open_account(gw, "high", markup=Decimal(50))
    twin = await open_account(gw, "twin", markup=Decimal(20))
    callers: list[tuple[str, AccountRow | None]] = [
        (low.key, low.account), (high.key, high.account), (twin.key, twin.account),
        (keys.reader, None),
    ]  # fmt: skip
    expected = {key: await fresh_bytes(gw, account) for key, account in callers}
    assert len({expected[low.key], expected[high.key], expected[keys.reader]}) == 3
    etags: dict[str, str] = {}
    for _ in range(2):  # rendered, then from the kept bytes, in turns
        for key, _account in callers:
            answer = await services(client, key)
            assert answer.content == expected[key]
            etags[key] = answer.headers["etag"]
    foreign = await services(client, high.key, **{"If-None-Match": etags[low.key]})
    assert foreign.status_code == 200, "another account's ETag is not this account's bytes"
    assert foreign.content == expected[high.key]

    repriced = await gw.store.update_account(
        low.account.id, price_list={"markup_percent": "35", "min_margin_percent": "0"}
    )
    now = await services(client, low.key, **{"If-None-Match": etags[low.key]})
    assert now.status_code == 200, "new prices are new bytes at once"
    assert now.content == await fresh_bytes(gw, repriced)
    assert now.content != expected[low.key]
    assert (await services(client, twin.key)).content == expected[twin.key]
    assert (await services(client, keys.reader)).content == expected[keys.reader]


async def test_a_provider_that_falls_over_leaves_the_kept_list_within_a_second(
    app: Starlette, gw: Gateway, keys: Keys
) -> None:
    now = [0.0]
    cache = ServicesCache(clock=lambda: now[0])
    context = app.state.context
    principal = await context.auth.authenticate(keys.reader)
    assert principal is not None
    call = Call(context, principal, {"action": "services"})
    first = await cache.answer(call, None)
    assert first.body == render_json(json.loads(await fresh_bytes(gw)))

    group = await shared_group(gw)
    widest = max(group.members, key=lambda m: m.service.max)
    for _ in range(gw.health.threshold):
        gw.health.failure(widest.provider, "down")
    assert await cache.answer(call, None) is first, "provider states are read once a second"
    now[0] += STATES_TTL
    without = await cache.answer(call, None)
    assert without.body == await fresh_bytes(gw)
    assert without.etag != first.etag
    shown: list[dict[str, Any]] = json.loads(without.body)
    [entry] = [s for s in shown if s["service"] == group.id]
    assert entry["max"] == str(
        max(m.service.max for m in group.members if m.provider != widest.provider)
    )

    gw.health.success(widest.provider)
    now[0] += STATES_TTL
    back = await cache.answer(call, None)
    assert (back.body, back.etag) == (first.body, first.etag)


async def test_requests_that_find_the_provider_states_stale_share_one_read(
    app: Starlette, gw: Gateway, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    cache = ServicesCache(clock=lambda: now[0])
    context = app.state.context
    principal = await context.auth.authenticate(keys.reader)
    assert principal is not None
    call = Call(context, principal, {"action": "services"})
    reads: list[None] = []
    started, release = asyncio.Event(), asyncio.Event()
    read_states = gw.provider_states

    async def counted() -> Any:
        reads.append(None)
        started.set()
        await release.wait()
        return await read_states()

    monkeypatch.setattr(gw, "provider_states", counted)
    callers = [asyncio.create_task(cache.answer(call, None)) for _ in range(6)]
    await started.wait()
    release.set()
    answers = await asyncio.gather(*callers)
    assert len(reads) == 1
    assert len({a.etag for a in answers}) == 1
    now[0] += STATES_TTL
    await cache.answer(call, None)
    assert len(reads) == 2, "read again once stale"
