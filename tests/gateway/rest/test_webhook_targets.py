"""Webhook targets: every IPv6 form that leads to a loopback or private IPv4 address is refused;
an attempt connects to the address that was checked, with the name kept for Host and TLS, and
never through a proxy from the environment."""

from __future__ import annotations

import httpx
import pytest

from gateway.core import Gateway
from gateway.webhooks import WebhookDispatcher, WebhookOptions
from gateway.webhooks.dispatcher import delivery_client
from gateway.webhooks.targets import InvalidTarget, Target, check_target, resolve_target
from tests.gateway.rest.conftest import Keys, serve
from tests.gateway.rest.helpers import order_fields, shared_group, v2
from tests.gateway.rest.receiver import Receiver
from tests.gateway.rest.test_webhook_delivery import deliver_all, endpoint, relay

EMBEDDING_PRIVATE = [
    "[::127.0.0.1]",  # IPv4-compatible
    "[::7f00:1]",
    "[::a00:1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:0:7f00:1]",  # SIIT
    "[::ffff:0:c0a8:101]",
    "[64:ff9b::7f00:1]",  # NAT64
    "[64:ff9b::a9fe:a9fe]",  # NAT64 to the cloud metadata address
    "[64:ff9b:1::7f00:1]",  # local-use NAT64
    "[2002:7f00:1::]",  # 6to4
    "[2002:a00:1::1]",
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
    "[2001:0:a00:1::1]",  # Teredo, server 10.0.0.1
    "[::1]",
    "[::]",
]
PUBLIC = ["[64:ff9b::808:808]", "[2002:808:808::1]", "[2606:4700:4700::1111]", "8.8.8.8"]


@pytest.mark.parametrize("host", EMBEDDING_PRIVATE)
async def test_ipv6_forms_embedding_a_private_ipv4_are_refused(host: str) -> None:
    with pytest.raises(InvalidTarget, match="private, loopback or reserved"):
        await check_target(f"https://{host}/hook", allow_private=False)


@pytest.mark.parametrize("host", PUBLIC)
async def test_public_addresses_stay_accepted(host: str) -> None:
    url = f"https://{host}/hook"
    assert await check_target(url, allow_private=False) == url


async def test_an_attempt_connects_to_the_checked_address_with_the_name_kept() -> None:
    receiver = Receiver()
    async with serve(receiver.app) as url:
        port = url.rsplit(":", 1)[1]
        target = await resolve_target(f"http://localhost:{port}/hook", allow_private=True)
        pinned_url, headers, _ = target.pinned()
        assert target.address in ("127.0.0.1", "::1")
        literal = f"[{target.address}]" if ":" in target.address else target.address
        assert pinned_url == f"http://{literal}:{port}/hook"
        assert headers == {"host": f"localhost:{port}"}
    tls = Target("https://hooks.example.com:8443/in", "hooks.example.com", "2606:4700::1")
    tls_url, tls_headers, extensions = tls.pinned()
    assert tls_url == "https://[2606:4700::1]:8443/in"
    assert tls_headers["host"] == "hooks.example.com:8443"
    assert extensions == {"sni_hostname": "hooks.example.com"}


async def test_deliveries_ignore_proxies_from_the_environment(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy nobody listens on: a client that honoured it could deliver nothing.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    receiver = Receiver()
    async with serve(receiver.app) as url, delivery_client() as http:
        port = url.rsplit(":", 1)[1]
        await endpoint(client, keys, f"http://localhost:{port}/hook")
        dispatcher = WebhookDispatcher(gw.store, http, WebhookOptions(allow_private_targets=True))
        group = await shared_group(gw)
        await v2(client, "form", key=keys.alice, action="add", **order_fields(group))
        await relay(gw, dispatcher)
        await deliver_all(dispatcher)
    assert receiver.received
    assert {r.headers["host"] for r in receiver.received} == {f"localhost:{port}"}
    counts = await gw.store.webhook_delivery_counts()
    assert counts["failed"] == 0
