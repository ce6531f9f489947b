"""Each profile's quirks, as a client meets them over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from providers.models import ServiceType
from providers.simulator import PROFILES, ManualClock, SimulatorServer, get_profile, simulator
from providers.simulator.catalog import HUGE_MAX

KEY = "test-key"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as http:
        yield http


def serve(profile: str, **options: Any) -> SimulatorServer:
    return simulator(seed=2, key=KEY, profile=profile, clock=ManualClock(), **options)


def first_default(services: list[dict[str, Any]]) -> dict[str, Any]:
    return next(s for s in services if s["type"] == "Default" and "[Real]" in s["name"])


def test_profiles_are_exactly_the_four_dialects() -> None:
    assert set(PROFILES) == {"seed", "sloppy", "get_v1", "json"}
    with pytest.raises(ValueError, match="known profiles: seed, sloppy, get_v1, json"):
        get_profile("nope")


# -- sloppy ---------------------------------------------------------------------------------


def sloppy_post(client: httpx.Client, sim: SimulatorServer, **fields: object) -> httpx.Response:
    return client.post(sim.url, data={"key": KEY, **{k: str(v) for k, v in fields.items()}})


def test_sloppy_sends_json_as_text_html(client: httpx.Client) -> None:
    with serve("sloppy") as sim:
        response = sloppy_post(client, sim, action="balance")
    assert response.headers["content-type"].startswith("text/html")
    assert re.fullmatch(r'\{"balance":1000\.00000,"currency":"USD"\}', response.text)


def test_sloppy_services_are_wrapped_with_numbers_and_loose_flags(client: httpx.Client) -> None:
    with serve("sloppy") as sim:
        response = sloppy_post(client, sim, action="services")
        expected = sim.panel.services
    services = response.json()["services"]
    first = services[0]
    assert isinstance(first["service"], str)
    assert first["service"].isdigit()
    assert isinstance(first["min"], int)
    assert isinstance(first["max"], int)
    assert {"desc", "dripfeed", "average_time", "name_lang"} <= first.keys()
    flags = {repr(s["refill"]) for s in services} | {repr(s["cancel"]) for s in services}
    assert {"'1'", "'0'", "'true'", "True"} <= flags
    assert any(s["max"] == HUGE_MAX for s in services)
    # Rates are JSON numbers written with the panel's own digits, never through a float.
    assert f'"rate":{expected[0].rate:f},' in response.text


def test_sloppy_order_ids_are_24_hex_and_status_numbers_are_numbers(
    client: httpx.Client,
) -> None:
    with serve("sloppy") as sim:
        service = first_default(sloppy_post(client, sim, action="services").json()["services"])
        order = sloppy_post(
            client, sim, action="add", service=service["service"], link="x", quantity=1000
        ).json()["order"]
        assert re.fullmatch(r"[0-9a-f]{24}", order)
        status_text = sloppy_post(client, sim, action="status", order=order).text
        many = sloppy_post(client, sim, action="status", orders=f"{order},123").json()
    assert re.fullmatch(
        r'\{"charge":\d+\.\d+,"start_count":0,"status":"[A-Za-z]+","remains":1000,'
        r'"currency":"USD"\}',
        status_text,
    )
    assert many["123"] == "Incorrect order ID"
    assert many[order]["remains"] == 1000


def test_sloppy_status_texts_come_in_variant_spellings(client: httpx.Client) -> None:
    with serve("sloppy") as sim:
        service = min(
            (s for s in sim.panel.services if s.type is ServiceType.DEFAULT),
            key=lambda s: s.partial_probability,
        )
        orders = [
            sloppy_post(
                client, sim, action="add", service=service.id, link=f"l{n}", quantity=service.min
            ).json()["order"]
            for n in range(6)
        ]
        sim.panel.advance(service.start_delay + 0.5)
        running = sloppy_post(client, sim, action="status", orders=",".join(orders)).json()
        sim.panel.advance(1_000_000)
        done = sloppy_post(client, sim, action="status", orders=",".join(orders)).json()
    assert {v["status"] for v in running.values()} == {"In Progress", "Inprogress", "Processing"}
    finals = {v["status"] for v in done.values()}
    assert "Complete" in finals
    assert finals <= {"Complete", "Completed", "Partial"}


def test_sloppy_refill_and_cancel_shapes(client: httpx.Client) -> None:
    with serve("sloppy") as sim:
        refillable = next(
            s for s in sim.panel.services if s.type is ServiceType.DEFAULT and s.refill
        )
        cancelable = next(
            s for s in sim.panel.services if s.type is ServiceType.DEFAULT and s.cancel
        )
        done = sloppy_post(
            client, sim, action="add", service=refillable.id, link="a", quantity=refillable.min
        ).json()["order"]
        sim.panel.advance(1_000_000)
        created = sloppy_post(client, sim, action="refill", order=done).json()
        assert created == {"refill": created["refill"], "success": "Refill request created"}
        assert isinstance(created["refill"], int)
        status = sloppy_post(client, sim, action="refill_status", refill=created["refill"]).json()
        assert status == {"status": "Awaiting"}
        sim.panel.advance(1_000_000)
        later = sloppy_post(client, sim, action="refill_status", refill=created["refill"]).json()
        assert later["status"] in ("Processed", "Rejected")

        running = sloppy_post(
            client, sim, action="add", service=cancelable.id, link="b", quantity=cancelable.min
        ).json()["order"]
        canceled = sloppy_post(client, sim, action="cancel", orders=f"{running},{done}").json()
        assert canceled == {"canceled": [running]}
        status = sloppy_post(client, sim, action="status", order=running).json()
        assert status["status"] == "Cancelled"


def test_sloppy_error_texts_and_duplicate_links(client: httpx.Client) -> None:
    with serve("sloppy") as sim:
        service = next(s for s in sim.panel.services if s.type is ServiceType.DEFAULT)
        assert sloppy_post(client, sim, action="balance", key="x").json() == {
            "error": "Invalid API key."
        }
        assert sloppy_post(client, sim, action="add", service=1, link="a", quantity=1).json() == {
            "error": "Service ID does not exists"
        }
        low = sloppy_post(
            client, sim, action="add", service=service.id, link="a", quantity=service.min - 1
        )
        assert low.json() == {"error": f"Quantity less than minimal {service.min}"}
        first = sloppy_post(
            client, sim, action="add", service=service.id, link="same", quantity=service.min
        )
        assert "order" in first.json()
        again = sloppy_post(
            client, sim, action="add", service=service.id, link="same", quantity=service.min
        )
        assert again.json()["error"].startswith("You have active order with this link.")
        sim.panel.set_account(KEY, Decimal(0))
        broke = sloppy_post(
            client, sim, action="add", service=service.id, link="other", quantity=service.min
        )
        assert broke.json() == {"error": "Insufficient balance"}


# -- get_v1 ---------------------------------------------------------------------------------


def test_get_v1_listens_at_api_v1_and_takes_get_only(client: httpx.Client) -> None:
    with serve("get_v1") as sim:
        assert sim.url.endswith("/api/v1")
        by_get = client.get(sim.url, params={"key": KEY, "action": "balance"})
        by_post = client.post(sim.url, data={"key": KEY, "action": "balance"})
    assert by_get.json() == {"balance": "1000.00000", "currency": "USD"}
    assert (by_post.status_code, by_post.json()) == (200, {"error": "Incorrect request"})


def test_get_v1_bad_key_is_401(client: httpx.Client) -> None:
    with serve("get_v1") as sim:
        response = client.get(sim.url, params={"key": "bad", "action": "balance"})
    assert (response.status_code, response.json()) == (401, {"error": "Invalid API key"})


def test_get_v1_rate_limit_is_429_with_retry_after(client: httpx.Client) -> None:
    with serve("get_v1", rate_limit=2) as sim:
        answers = [client.get(sim.url, params={"key": KEY, "action": "balance"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json() == {"error": "Rate limit exceeded. Max 2 requests per minute."}
    assert int(answers[2].headers["retry-after"]) > 0


def test_get_v1_cancel_takes_one_order(client: httpx.Client) -> None:
    with serve("get_v1") as sim:
        service = next(s for s in sim.panel.services if s.type is ServiceType.DEFAULT and s.cancel)
        placed = client.get(
            sim.url,
            params={
                "key": KEY, "action": "add", "service": service.id, "link": "x",
                "quantity": service.min,
            },
        ).json()  # fmt: skip
        order = placed["order"]
        assert isinstance(order, int)
        params = {"key": KEY, "action": "cancel"}
        batch = client.get(sim.url, params={**params, "orders": str(order)}).json()
        single = client.get(sim.url, params={**params, "order": str(order)}).json()
        unknown = client.get(sim.url, params={**params, "order": "5"}).json()
    assert batch == {"error": "Incorrect request"}
    assert single == {"cancel": 1}
    assert unknown == {"error": "Incorrect order ID"}


# -- json -----------------------------------------------------------------------------------


def test_json_profile_takes_a_json_body_only(client: httpx.Client) -> None:
    with serve("json") as sim:
        by_json = client.post(sim.url, json={"key": KEY, "action": "balance"}).json()
        by_form = client.post(sim.url, data={"key": KEY, "action": "balance"}).json()
        by_get = client.get(sim.url, params={"key": KEY, "action": "balance"}).json()
    assert by_json == {"balance": "1000.00000", "currency": "USD"}
    assert by_form == by_get == {"error": "Invalid parameters"}


def test_json_profile_uses_opaque_string_ids(client: httpx.Client) -> None:
    with serve("json") as sim:
        services = client.post(sim.url, json={"key": KEY, "action": "services"}).json()
        service = first_default(services)
        assert re.fullmatch(r"svc_[0-9a-f]+", service["service"])
        body = {"key": KEY, "action": "add", "service": service["service"], "link": "x"}
        placed = client.post(sim.url, json={**body, "quantity": int(service["min"])}).json()
        order = placed["order"]
        assert re.fullmatch(r"ord_[0-9a-f]+", order)
        status = client.post(sim.url, json={"key": KEY, "action": "status", "order": order}).json()
        many = client.post(
            sim.url, json={"key": KEY, "action": "status", "orders": [order, "ord_123"]}
        ).json()
    assert status["status"] == "Pending"
    assert set(many) == {order, "ord_123"}
    assert many["ord_123"] == {"error": "Incorrect order ID"}


def test_json_profile_error_texts(client: httpx.Client) -> None:
    with serve("json") as sim:
        service = first_default(
            client.post(sim.url, json={"key": KEY, "action": "services"}).json()
        )
        body = {"key": KEY, "action": "add", "service": service["service"], "link": "dup"}
        quantity = int(service["min"])
        client.post(sim.url, json={**body, "quantity": quantity})
        duplicate = client.post(sim.url, json={**body, "quantity": quantity}).json()
        sim.panel.set_account(KEY, Decimal(0))
        broke = client.post(sim.url, json={**body, "link": "new", "quantity": quantity}).json()
        wrong = client.post(sim.url, json={**body, "service": "3", "quantity": quantity}).json()
    assert duplicate == {"error": "neworder.error.link_duplicate"}
    assert broke == {"error": "neworder.error.not_enough_funds"}
    assert wrong == {"error": "neworder.error.service_not_found"}
