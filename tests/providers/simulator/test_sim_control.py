"""The `/_sim/` control endpoints, used by tests, the demo and benchmarks."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from providers.simulator import SimService, SimulatorServer

KEY = "test-key"
Call = Callable[..., httpx.Response]
Find = Callable[..., SimService]


def place(call: Call, service: SimService) -> int:
    answer = call(action="add", service=service.id, link="https://x", quantity=service.min)
    order_id = answer.json()["order"]
    assert isinstance(order_id, int)
    return order_id


def test_advancing_the_clock_moves_orders_along(
    sim: SimulatorServer, client: httpx.Client, call: Call, default_service: Find
) -> None:
    order_id = place(call, default_service())
    answer = client.post(f"{sim.base_url}/_sim/clock/advance", json={"seconds": 1_000_000})
    assert answer.status_code == 200
    assert float(answer.json()["now"]) >= 1_000_000
    assert call(action="status", order=order_id).json()["status"] in ("Completed", "Partial")


def test_advance_refuses_bad_seconds(sim: SimulatorServer, client: httpx.Client) -> None:
    url = f"{sim.base_url}/_sim/clock/advance"
    assert client.post(url, json={"seconds": -5}).status_code == 400
    assert client.post(url, json={"seconds": "soon"}).status_code == 400
    assert client.post(url, content=b"{oops").status_code == 400


def test_stats_count_calls_per_action(
    sim: SimulatorServer, client: httpx.Client, call: Call, default_service: Find
) -> None:
    place(call, default_service())
    call(action="status", order=1)
    call(action="status", order=2)
    stats = client.get(f"{sim.base_url}/_sim/stats").json()
    assert stats["calls"] == {"add": 1, "status": 2}
    assert (stats["orders"], stats["refills"]) == (1, 0)


def test_faults_can_be_added_listed_and_cleared(
    sim: SimulatorServer, client: httpx.Client, call: Call
) -> None:
    url = f"{sim.base_url}/_sim/faults"
    added = client.post(url, json={"kind": "error", "actions": ["balance"], "count": 1})
    assert added.json()["faults"][0]["kind"] == "error"
    client.post(url, json={"spec": "status:5xx:1"})
    assert len(client.get(url).json()["faults"]) == 2
    assert call(action="balance").json() == {"error": "Internal server error"}
    assert call(action="status", order=1).status_code in (502, 503)
    assert client.delete(url).json() == {"faults": []}
    assert call(action="status", order=1).json() == {"error": "Incorrect order ID"}


def test_bad_faults_are_refused(sim: SimulatorServer, client: httpx.Client) -> None:
    url = f"{sim.base_url}/_sim/faults"
    refused = client.post(url, json={"kind": "meteor"})
    assert refused.status_code == 400
    assert "known kinds" in refused.json()["error"]
    assert client.post(url, json={"spec": "add:drop:7"}).status_code == 400
    assert client.post(url, json=[1]).status_code == 400


def test_accounts_can_be_created_and_funded(
    sim: SimulatorServer, client: httpx.Client, call: Call
) -> None:
    url = f"{sim.base_url}/_sim/accounts"
    created = client.post(url, json={"key": "second"}).json()
    assert created == {"key": "second", "balance": "1000.00000"}
    assert call(action="balance", key="second").json()["balance"] == "1000.00000"
    client.post(url, json={"key": KEY, "balance": "12.5"})
    assert call(action="balance").json()["balance"] == "12.50000"
    assert client.post(url, json={"balance": "1"}).status_code == 400
    assert client.post(url, json={"key": "x", "balance": "lots"}).status_code == 400


def test_an_order_can_be_inspected(
    sim: SimulatorServer, client: httpx.Client, call: Call, default_service: Find
) -> None:
    service = default_service()
    order_id = place(call, service)
    detail = client.get(f"{sim.base_url}/_sim/orders/{order_id}").json()
    assert detail["order"] == order_id
    assert detail["key"] == KEY
    assert detail["service"] == service.id
    assert detail["status"] == "PENDING"
    assert detail["fields"]["link"] == "https://x"
    assert detail["remains"] == service.min
    missing = client.get(f"{sim.base_url}/_sim/orders/12")
    assert (missing.status_code, missing.json()) == (404, {"error": "Incorrect order ID"})
