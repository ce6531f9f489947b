"""Links and other order text are checked before any panel sees them: what panels would refuse
(or should never receive) is answered with the panels' own "Incorrect link", and no order is
placed upstream; refusals never repeat the input or a validator library's sentences."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from gateway.core import Gateway
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group, v2

BAD_LINKS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)//https://x.com",
    "data:text/html,<script>alert(1)</script>",
    "https://instagram.com/p/" + "a" * 60_000,
    "https://instagram.com/p/x\x00y",
    "https://instagram.com/p/x\u202ey",  # a bidi override
    "https://insta gram.com/p/x",
    "https:///p/x",
    "ftp://instagram.com/p/x",
    "https://instagram.com:99999999/p",
    "https://instagram.com/p/\ufffd",
]
GOOD_LINKS = ["https://instagram.com/p/abc", "http://t.me/channel", "https://пример.рф/путь"]


def _placed(trio: Trio) -> int:
    return sum(sim.panel.order_count for sim in trio.sims.values())


@pytest.mark.parametrize("encoding", ["form", "json"])
async def test_links_panels_would_refuse_are_never_placed(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio, encoding: str
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    for link in BAD_LINKS:
        answer = await v2(
            client, encoding, key=keys.alice, action="add", **{**fields, "link": link}
        )
        assert answer == {"error": "Incorrect link"}, link[:80]
    assert _placed(trio) == 0
    for n, link in enumerate(GOOD_LINKS):
        answer = await v2(
            client, encoding, key=keys.alice, action="add", **{**fields, "link": link}
        )
        assert "order" in answer, (link, answer)
        assert _placed(trio) == n + 1


async def test_invalid_utf8_is_an_incorrect_link(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    body = "&".join(
        f"{k}={quote(str(v))}"
        for k, v in {"key": keys.alice, "action": "add", "service": fields["service"],
                     "quantity": fields["quantity"]}.items()
    ) + "&link=https%3A%2F%2Finstagram.com%2Fp%2F%FF%FE"  # fmt: skip
    response = await client.post(
        "/api/v2", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.json() == {"error": "Incorrect link"}
    assert _placed(trio) == 0


async def test_refusals_do_not_echo_the_input(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, trio: Trio
) -> None:
    group = await shared_group(gw)
    fields = order_fields(group)
    digits = "9" * 5000
    for name in ("quantity", "service", "runs"):
        response = await client.post(
            "/api/v2", data={"key": keys.alice, "action": "add", **fields, name: digits}
        )
        answer = response.json()
        assert list(answer) == ["error"], answer
        assert digits[:50] not in response.text
        assert "Input should" not in response.text
        assert "pydantic" not in response.text.lower()
    assert _placed(trio) == 0
