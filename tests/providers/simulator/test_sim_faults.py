"""Fault injection: the spec parser, the plan's decisions, and every kind over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from providers.models import ServiceType
from providers.simulator import (
    Fault,
    FaultKind,
    FaultPlan,
    ManualClock,
    SimulatorServer,
    parse_faults,
    simulator,
)

KEY = "test-key"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as http:
        yield http


def serve(faults: str | list[Fault], **options: object) -> SimulatorServer:
    return simulator(seed=1, key=KEY, clock=ManualClock(), faults=faults, **options)  # type: ignore[arg-type]


def add_fields(sim: SimulatorServer) -> dict[str, str]:
    service = next(s for s in sim.panel.services if s.type is ServiceType.DEFAULT)
    return {
        "key": KEY,
        "action": "add",
        "service": str(service.id),
        "link": "https://instagram.com/x",
        "quantity": str(service.min),
    }


def balance(client: httpx.Client, sim: SimulatorServer) -> httpx.Response:
    return client.post(sim.url, data={"key": KEY, "action": "balance"})


# -- parsing and deciding -------------------------------------------------------------------


def test_spec_parses_actions_kinds_rates_and_latency() -> None:
    drop, five, latency = parse_faults("add:drop:0.1,status+refill:5xx:0.05,*:latency:200")
    assert (drop.kind, drop.actions, drop.rate) == (FaultKind.DROP, frozenset({"add"}), 0.1)
    assert (five.kind, five.actions) == (FaultKind.HTTP_5XX, frozenset({"status", "refill"}))
    assert (latency.kind, latency.actions, latency.params["ms"]) == (FaultKind.LATENCY, None, 200)


def test_spec_takes_a_count_and_named_params() -> None:
    (fault,) = parse_faults("add:timeout:1:2:seconds=5")
    assert (fault.rate, fault.count, fault.number("seconds", 30)) == (1.0, 2, 5.0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("add:explode", "unknown fault kind 'explode'; known kinds: latency, error"),
        ("add", "expected ACTIONS:KIND"),
        ("add:drop:often", "must be numbers"),
        ("add:drop:2", "within 0..1"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(spec)


def test_decisions_are_deterministic_for_a_seed() -> None:
    def decisions(seed: int) -> list[FaultKind | None]:
        plan = FaultPlan(parse_faults("add:error:0.5"), seed=seed)
        return [d.fault.kind if d.fault else None for d in map(plan.decide, ["add"] * 40)]

    assert decisions(1) == decisions(1)
    assert decisions(1) != decisions(2)
    assert 5 < decisions(1).count(FaultKind.ERROR) < 35


def test_a_counted_fault_fires_that_many_times() -> None:
    plan = FaultPlan([Fault(FaultKind.ERROR, count=2)])
    fired = [plan.decide("status").fault is not None for _ in range(4)]
    assert fired == [True, True, False, False]
    assert plan.faults == []


def test_faults_only_hit_their_actions_and_latency_adds_up() -> None:
    plan = FaultPlan(parse_faults("add:error,*:latency:100,status:latency:50"), latency_ms=10)
    assert plan.decide("balance") == plan.decide("balance")
    assert plan.decide("balance").fault is None
    assert plan.decide("status").latency_ms == 160
    assert plan.decide("add").fault is not None


# -- over HTTP ------------------------------------------------------------------------------


# A latency of ten minutes against a client that waits a second: the call is held past the
# client's patience, while the same call to a panel without it answers within that second.
HELD = 600_000
PATIENCE = 1.0


def call(client: httpx.Client, sim: SimulatorServer, action: str) -> httpx.Response:
    return client.post(sim.url, data={"key": KEY, "action": action}, timeout=PATIENCE)


def test_latency_holds_the_calls_it_names(client: httpx.Client) -> None:
    with serve(f"balance:latency:{HELD}") as sim:
        assert call(client, sim, "services").status_code == 200
        with pytest.raises(httpx.ReadTimeout):
            call(client, sim, "balance")
        assert sim.panel.calls["balance"] == 1, "it arrived, and its answer was held"


def test_global_latency_setting_holds_every_call(client: httpx.Client) -> None:
    with serve([]) as prompt:
        assert call(client, prompt, "balance").status_code == 200
    with serve([], latency_ms=HELD) as sim:
        for action in ("balance", "services"):
            with pytest.raises(httpx.ReadTimeout):
                call(client, sim, action)
        assert (sim.panel.calls["balance"], sim.panel.calls["services"]) == (1, 1)


def test_error_fault_answers_internal_server_error_without_placing(client: httpx.Client) -> None:
    with serve("add:error") as sim:
        response = client.post(sim.url, data=add_fields(sim))
        assert (response.status_code, response.json()) == (
            200,
            {"error": "Internal server error"},
        )
        assert sim.panel.order_count == 0


def test_http_5xx_fault_answers_an_html_gateway_page(client: httpx.Client) -> None:
    with serve("balance:5xx,add:5xx:1:status=503") as sim:
        response = balance(client, sim)
        assert response.status_code in (502, 503)
        assert response.headers["content-type"].startswith("text/html")
        assert "<html>" in response.text
        assert client.post(sim.url, data=add_fields(sim)).status_code == 503
        assert sim.panel.order_count == 0


def test_html_fault_answers_a_cloudflare_page_with_200(client: httpx.Client) -> None:
    with serve("balance:html") as sim:
        response = balance(client, sim)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Just a moment..." in response.text


def test_malformed_fault_cuts_the_json_but_places_the_order(client: httpx.Client) -> None:
    with serve("add:malformed") as sim:
        response = client.post(sim.url, data=add_fields(sim))
        assert response.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            response.json()
        assert sim.panel.order_count == 1


def test_throttle_fault_answers_429_with_retry_after(client: httpx.Client) -> None:
    with serve("balance:throttle:1:retry_after=7") as sim:
        response = balance(client, sim)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json() == {"error": "Rate limit exceeded. Max 60 requests per minute."}


def test_drop_leaves_the_client_without_an_answer_but_places_the_order(
    client: httpx.Client,
) -> None:
    with serve("add:drop:1:1") as sim:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(sim.url, data=add_fields(sim))
        assert sim.panel.order_count == 1
        assert sim.panel.calls["add"] == 1
        (placed,) = sim.panel.orders()
        charged = placed.cost
        assert Decimal(balance(client, sim).json()["balance"]) == Decimal(1000) - charged


def test_timeout_fault_makes_the_client_time_out_without_placing(client: httpx.Client) -> None:
    with serve("add:timeout:1:1:seconds=20") as sim:
        with pytest.raises(httpx.ReadTimeout):
            client.post(sim.url, data=add_fields(sim), timeout=0.3)
        assert sim.panel.order_count == 0
        assert balance(client, sim).status_code == 200, "the panel answers other calls"
    assert sim.panel.calls["add"] == 1
    assert sim.panel.order_count == 0, "a client that left never gets its order placed"


def test_timeout_fault_with_process_places_the_order(client: httpx.Client) -> None:
    with serve("add:timeout:1:1:seconds=20:process=1") as sim:
        with pytest.raises(httpx.ReadTimeout):
            client.post(sim.url, data=add_fields(sim), timeout=0.3)
        assert sim.panel.order_count == 1


def test_a_slow_answer_still_arrives_when_the_client_waits(client: httpx.Client) -> None:
    with serve("balance:timeout:1:1:seconds=0.2") as sim:
        assert balance(client, sim).json()["currency"] == "USD"


def test_faults_can_be_added_and_cleared_while_running(client: httpx.Client) -> None:
    with serve([]) as sim:
        sim.faults.add(Fault(FaultKind.ERROR, actions=frozenset({"balance"})))
        assert balance(client, sim).json() == {"error": "Internal server error"}
        sim.faults.clear()
        assert "balance" in balance(client, sim).json()


async def test_async_clients_see_the_same_faults() -> None:
    async with serve("add:drop") as sim, httpx.AsyncClient(timeout=5.0) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(sim.url, data=add_fields(sim))
        assert sim.panel.order_count == 1
