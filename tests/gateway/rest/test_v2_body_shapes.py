"""Bodies as published v2 clients send them, beyond a plain form: a form after a UTF-8 byte order
mark (a PHP file saved "UTF-8 with BOM" that builds its body by hand), a JSON object sent without
its type or with a form's (PHP's curl posting ``json_encode(...)`` without a header). Each answers
as the same fields sent plainly would, and a JSON boolean where a number belongs is never read as
an id or a count."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from gateway.core import Gateway
from gateway.rest.body import json_fields
from tests.gateway.rest.conftest import Keys
from tests.gateway.rest.helpers import order_fields, shared_group

BOM = b"\xef\xbb\xbf"
FORM = "application/x-www-form-urlencoded"


async def _post(client: httpx.AsyncClient, body: bytes, content_type: str | None) -> Any:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await client.post("/api/v2", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("content_type", [FORM, f"{FORM}; charset=UTF-8", None, "text/plain"])
async def test_a_form_after_a_byte_order_mark_keeps_its_first_field(
    client: httpx.AsyncClient, keys: Keys, content_type: str | None
) -> None:
    # The mark was read as part of the first name ("\ufeffkey"): "Invalid API key".
    balance = await _post(client, BOM + f"key={keys.admin}&action=balance".encode(), content_type)
    assert list(balance) == ["balance", "currency"]
    # `services` from a form POST takes the endpoint's own fast path: the same reading.
    services = await _post(client, BOM + f"key={keys.admin}&action=services".encode(), content_type)
    assert "service" in services[0]
    # The mark before the action, the key in a header: the action is still read.
    response = await client.post(
        "/api/v2",
        content=BOM + b"action=balance",
        headers={"Content-Type": FORM, "Authorization": f"Bearer {keys.admin}"},
    )
    assert list(response.json()) == ["balance", "currency"]


@pytest.mark.parametrize(
    "content_type", ["application/json", None, "text/plain", FORM, "application/vnd.api+json"]
)
async def test_a_json_object_is_read_as_json_whatever_type_it_is_sent_as(
    client: httpx.AsyncClient, keys: Keys, content_type: str | None
) -> None:
    body = json.dumps({"key": keys.admin, "action": "balance"}).encode()
    for sent in (body, BOM + body):
        answer = await _post(client, sent, content_type)
        assert list(answer) == ["balance", "currency"], answer


def test_json_booleans_are_their_own_words_never_numbers() -> None:
    fields = json_fields(b'{"service": true, "quantity": false, "orders": [1, true, "3"]}')
    assert fields == {"service": "true", "quantity": "false", "orders": "1,true,3"}


async def test_a_json_boolean_is_no_service_order_or_quantity(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys
) -> None:
    # `true` was read as "1": service 1 was ordered, order 1's status answered.
    group = await shared_group(gw)
    add = {"key": keys.alice, "action": "add", **order_fields(group)}
    placed = await _post(client, json.dumps(add).encode(), "application/json")
    assert isinstance(placed["order"], int)
    refusals = {
        "service": ({**add, "service": True}, {"error": "Incorrect service ID"}),
        "status": (
            {"key": keys.alice, "action": "status", "order": True},
            {"error": "Incorrect order ID"},
        ),
        "refill": (
            {"key": keys.alice, "action": "refill", "order": True},
            {"error": "Incorrect order ID"},
        ),
    }
    for name, (fields, expected) in refusals.items():
        answer = await _post(client, json.dumps(fields).encode(), "application/json")
        assert answer == expected, name
    quantity = {**add, "link": "https://instagram.com/p/other", "quantity": True}
    answer = await _post(client, json.dumps(quantity).encode(), "application/json")
    assert answer["error"].startswith("Quantity must be between")
    orders = await gw.store.list_orders(None, None, None, 10)
    assert [o.id for o in orders] == [placed["order"]]


@pytest.mark.parametrize("encoding", ["form", "query", "multipart"])
async def test_a_repeated_list_field_is_every_value_sent(
    client: httpx.AsyncClient, gw: Gateway, keys: Keys, encoding: str
) -> None:
    # Python's requests sends data={"orders": [1, 2]} as orders=1&orders=2: only the last was
    # read, and the answer left the other orders out (a client's cron takes them for lost).
    group = await shared_group(gw)
    placed = []
    for n in range(2):
        add = {"key": keys.alice, "action": "add", **order_fields(group, n)}
        answer = await _post(client, json.dumps(add).encode(), "application/json")
        placed.append(str(answer["order"]))
    pairs = [("key", keys.alice), ("action", "status"), *(("orders", i) for i in placed)]
    if encoding == "form":
        body = urlencode(pairs).encode()
        response = await client.post("/api/v2", content=body, headers={"Content-Type": FORM})
    elif encoding == "query":
        response = await client.get("/api/v2", params=urlencode(pairs))
    else:
        files = [(name, (None, value)) for name, value in pairs]
        response = await client.post("/api/v2", files=files)
    assert sorted(response.json()) == sorted(placed)
    # A field that is no list is still one value, the last sent (as PHP panels read it).
    again = [("key", "not-a-key"), ("key", keys.admin), ("action", "balance")]
    assert list((await client.get("/api/v2", params=urlencode(again))).json()) == [
        "balance",
        "currency",
    ]
