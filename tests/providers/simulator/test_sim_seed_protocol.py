"""The seed profile answers every action exactly as the Rizvi API page documents, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx

from providers.simulator import SimService, SimulatorServer

KEY = "test-key"
Call = Callable[..., httpx.Response]
Find = Callable[..., SimService]


def place(sim: SimulatorServer, call: Call, quantity_factor: int = 10, **wanted: object) -> int:
    service = next(
        s
        for s in sim.panel.services
        if s.type.value == "Default" and all(getattr(s, k) == v for k, v in wanted.items())
    )
    answer = call(
        action="add",
        service=service.id,
        link="https://instagram.com/p/x",
        quantity=service.min * quantity_factor,
    ).json()
    order_id = answer["order"]
    assert isinstance(order_id, int)
    return order_id


def test_services_is_a_list_with_the_seed_field_types(call: Call) -> None:
    response = call(action="services")
    assert response.headers["content-type"] == "application/json"
    services = response.json()
    assert isinstance(services, list)
    first = services[0]
    assert list(first) == [
        "service", "name", "type", "category", "rate", "min", "max", "refill", "cancel",
    ]  # fmt: skip
    assert isinstance(first["service"], int)
    assert all(isinstance(first[k], str) for k in ("name", "type", "category", "rate", "min"))
    assert isinstance(first["max"], str)
    assert isinstance(first["refill"], bool)
    assert isinstance(first["cancel"], bool)


def test_services_rates_are_exact_decimal_strings(sim: SimulatorServer, call: Call) -> None:
    listed = {s["service"]: s["rate"] for s in call(action="services").json()}
    for service in sim.panel.services:
        assert listed[service.id] == f"{service.rate:f}"
    assert '"rate":"' in call(action="services").text


def test_services_answer_is_rendered_once(sim: SimulatorServer, call: Call) -> None:
    assert call(action="services").content == call(action="services").content
    assert len(call(action="services").json()) == len(sim.panel.services)


def test_add_answers_an_integer_order_id(sim: SimulatorServer, call: Call) -> None:
    order_id = place(sim, call)
    assert sim.panel.order(order_id) is not None


def test_status_answers_strings_and_currency(sim: SimulatorServer, call: Call) -> None:
    order_id = place(sim, call)
    answer = call(action="status", order=order_id).json()
    assert list(answer) == ["charge", "start_count", "status", "remains", "currency"]
    assert all(isinstance(value, str) for value in answer.values())
    assert answer["status"] == "Pending"
    assert answer["currency"] == "USD"
    assert Decimal(answer["charge"]) == sim.panel.order(order_id).cost  # type: ignore[union-attr]


def test_status_follows_the_order_over_simulated_time(sim: SimulatorServer, call: Call) -> None:
    order_id = place(sim, call, partial_probability=0.0)
    seen = [call(action="status", order=order_id).json()]
    service = sim.panel.order(order_id).service  # type: ignore[union-attr]
    sim.panel.advance(service.start_delay + 1)
    seen.append(call(action="status", order=order_id).json())
    sim.panel.advance(100_000)
    seen.append(call(action="status", order=order_id).json())
    assert [s["status"] for s in seen] == ["Pending", "In progress", "Completed"]
    assert int(seen[0]["remains"]) >= int(seen[1]["remains"]) > int(seen[2]["remains"]) == 0
    assert seen[0]["start_count"] == "0" != seen[2]["start_count"]


def test_multi_status_is_keyed_by_id_with_errors_for_unknown_ids(
    sim: SimulatorServer, call: Call
) -> None:
    order_id = place(sim, call)
    answer = call(action="status", orders=f"{order_id},10").json()
    assert set(answer) == {str(order_id), "10"}
    assert answer["10"] == {"error": "Incorrect order ID"}
    assert answer[str(order_id)]["status"] == "Pending"


def test_unknown_single_order_is_an_error(call: Call) -> None:
    assert call(action="status", order=10).json() == {"error": "Incorrect order ID"}
    assert call(action="status", order="abc").json() == {"error": "Incorrect order ID"}


def test_batch_calls_take_up_to_100_ids(call: Call) -> None:
    ids = ",".join(str(n) for n in range(1, 101))
    assert len(call(action="status", orders=ids).json()) == 100
    too_many = ",".join(str(n) for n in range(1, 102))
    assert call(action="status", orders=too_many).json() == {"error": "Incorrect request"}
    assert call(action="cancel", orders=too_many).json() == {"error": "Incorrect request"}
    assert call(action="refill", orders=too_many).json() == {"error": "Incorrect request"}
    assert call(action="refill_status", refills=too_many).json() == {"error": "Incorrect request"}


def test_refill_answers_a_string_id_then_refill_status(sim: SimulatorServer, call: Call) -> None:
    order_id = place(sim, call, refill=True)
    sim.panel.advance(100_000)
    answer = call(action="refill", order=order_id).json()
    assert list(answer) == ["refill"]
    assert isinstance(answer["refill"], str)
    assert call(action="refill_status", refill=answer["refill"]).json() == {"status": "Pending"}
    sim.panel.advance(10_000)
    final = call(action="refill_status", refill=answer["refill"]).json()
    assert final["status"] in ("Completed", "Rejected")


def test_multi_refill_lists_ids_and_errors(sim: SimulatorServer, call: Call) -> None:
    order_id = place(sim, call, refill=True)
    sim.panel.advance(100_000)
    answer = call(action="refill", orders=f"{order_id},3").json()
    assert answer[1] == {"order": 3, "refill": {"error": "Incorrect order ID"}}
    assert answer[0]["order"] == order_id
    assert isinstance(answer[0]["refill"], int)
    statuses = call(action="refill_status", refills=f"{answer[0]['refill']},3").json()
    assert statuses == [
        {"refill": answer[0]["refill"], "status": "Pending"},
        {"refill": 3, "status": {"error": "Refill not found"}},
    ]


def test_refill_of_a_service_without_refill_is_not_eligible(
    sim: SimulatorServer, call: Call
) -> None:
    order_id = place(sim, call, refill=False)
    sim.panel.advance(100_000)
    answer = call(action="refill", order=order_id).json()
    assert answer == {"error": "Order not eligible for refill."}


def test_cancel_lists_one_answer_per_order(sim: SimulatorServer, call: Call) -> None:
    order_id = place(sim, call, cancel=True)
    before = Decimal(call(action="balance").json()["balance"])
    answer = call(action="cancel", orders=f"9,{order_id}").json()
    assert answer == [
        {"order": 9, "cancel": {"error": "Incorrect order ID"}},
        {"order": order_id, "cancel": 1},
    ]
    assert call(action="status", order=order_id).json()["status"] == "Canceled"
    assert Decimal(call(action="balance").json()["balance"]) > before


def test_cancel_also_takes_a_single_order(sim: SimulatorServer, call: Call) -> None:
    order_id = place(sim, call, cancel=True)
    assert call(action="cancel", order=order_id).json() == [{"order": order_id, "cancel": 1}]


def test_cancel_of_a_service_without_cancel_is_an_item_error(
    sim: SimulatorServer, call: Call
) -> None:
    order_id = place(sim, call, cancel=False)
    answer = call(action="cancel", orders=order_id).json()
    assert answer[0]["cancel"] == {"error": "Order cannot be canceled"}


def test_balance_is_a_decimal_string_that_goes_down_with_charges(
    sim: SimulatorServer, call: Call
) -> None:
    assert call(action="balance").json() == {"balance": "1000.00000", "currency": "USD"}
    order_id = place(sim, call)
    charge = sim.panel.order(order_id).cost  # type: ignore[union-attr]
    assert Decimal(call(action="balance").json()["balance"]) == Decimal(1000) - charge


def test_errors_are_http_200_with_seed_texts(call: Call, default_service: Find) -> None:
    service = default_service()
    bad_key = call(action="balance", key="nope")
    assert (bad_key.status_code, bad_key.json()) == (200, {"error": "Invalid API key"})
    assert call(action="dance").json() == {"error": "Incorrect request"}
    assert call(action="add", service=1, link="x", quantity=100).json() == {
        "error": "Incorrect service ID"
    }
    assert call(action="add", service=service.id, quantity=service.min).json() == {
        "error": "Link is required"
    }
    bad_link = call(action="add", service=service.id, link="not a link", quantity=service.min)
    assert bad_link.json() == {"error": "Incorrect link"}
    low = call(action="add", service=service.id, link="x", quantity=service.min - 1)
    assert low.json() == {"error": f"Quantity less than minimal {service.min}"}
    high = call(action="add", service=service.id, link="x", quantity=service.max + 1)
    assert high.json() == {"error": f"Quantity more than maximum {service.max}"}


def test_dripfeed_fields_on_a_plain_service_are_refused(call: Call, default_service: Find) -> None:
    service = default_service(dripfeed=False)
    answer = call(
        action="add", service=service.id, link="x", quantity=service.min, runs=2, interval=5
    )
    assert answer.json() == {"error": "This services does not support Dripfeed feature!"}


def test_not_enough_funds(sim: SimulatorServer, call: Call, default_service: Find) -> None:
    sim.panel.set_account(KEY, Decimal(0))
    service = default_service()
    answer = call(action="add", service=service.id, link="x", quantity=service.min)
    assert answer.json() == {"error": "Not enough funds on balance"}


def test_get_query_and_json_body_work_like_a_form(
    sim: SimulatorServer, client: httpx.Client
) -> None:
    by_get = client.get(sim.url, params={"key": KEY, "action": "balance"}).json()
    by_json = client.post(sim.url, json={"key": KEY, "action": "balance"}).json()
    assert by_get == by_json == {"balance": "1000.00000", "currency": "USD"}


def test_multipart_forms_are_accepted(sim: SimulatorServer, client: httpx.Client) -> None:
    response = client.post(sim.url, files={"key": (None, KEY), "action": (None, "balance")})
    assert response.json()["currency"] == "USD"


def test_malformed_input_gets_an_error_answer_not_a_500(
    sim: SimulatorServer, client: httpx.Client
) -> None:
    bodies: list[tuple[bytes, str]] = [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b"", ""),
    ]
    for body, content_type in bodies:
        response = client.post(sim.url, content=body, headers={"content-type": content_type})
        assert response.status_code == 200
        assert "error" in json.loads(response.text)


def test_a_php_style_client_works_unchanged(sim: SimulatorServer, client: httpx.Client) -> None:
    # What published v2 clients do: form POST, browser User-Agent, integer ids in and out.
    headers = {"User-Agent": "Mozilla/4.0 (compatible; MSIE 5.01; Windows NT 5.0)"}
    services = client.post(sim.url, data={"key": KEY, "action": "services"}, headers=headers)
    first = next(s for s in services.json() if s["type"] == "Default")
    placed = client.post(
        sim.url,
        data={
            "key": KEY,
            "action": "add",
            "service": first["service"],
            "link": "https://instagram.com/x",
            "quantity": first["min"],
        },
        headers=headers,
    ).json()
    status = client.post(
        sim.url, data={"key": KEY, "action": "status", "order": placed["order"]}, headers=headers
    ).json()
    assert status["status"] == "Pending"
