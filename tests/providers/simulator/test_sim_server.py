"""Running the simulator: the loopback server, the builder, the clocks and the command line."""

from __future__ import annotations

import shlex
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from providers.simulator import (
    ManualClock,
    Panel,
    ScaledClock,
    SimulatorServer,
    generate_services,
    simulator,
)
from providers.simulator.__main__ import build_app, parse_args

ROOT = Path(__file__).resolve().parents[3]


def test_server_exposes_urls_and_the_panel() -> None:
    with simulator(seed=3, profile="get_v1", key="k") as sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert sim.url == f"{sim.base_url}/api/v1"
        assert sim.key == "k"
        assert len(sim.panel.services) == 300
        answer = httpx.get(sim.url, params={"key": "k", "action": "balance"}).json()
    assert answer == {"balance": "1000.00000", "currency": "USD"}


def test_urls_need_a_running_server() -> None:
    server = simulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_builder_generates_a_key_and_takes_currency_and_balance() -> None:
    with simulator(currency="EUR", balance="50", services=60) as sim:
        assert sim.key
        answer = httpx.post(sim.url, data={"key": sim.key, "action": "balance"}).json()
        assert len(sim.panel.services) == 60
    assert answer == {"balance": "50.00000", "currency": "EUR"}


def test_a_server_can_wrap_a_hand_built_panel() -> None:
    panel = Panel(generate_services(seed=1, size=50), clock=ManualClock(), keys=["mine"])
    with SimulatorServer(panel, "json") as sim:
        answer = httpx.post(sim.url, json={"key": "mine", "action": "balance"}).json()
    assert answer["currency"] == "USD"


async def test_server_works_as_an_async_context_manager() -> None:
    async with simulator(key="k") as sim, httpx.AsyncClient() as client:
        answer = await client.post(sim.url, data={"key": "k", "action": "services"})
        assert len(answer.json()) == 300


def test_two_servers_run_side_by_side_with_different_catalogs() -> None:
    with simulator(seed=1, key="k") as one, simulator(seed=2, key="k") as two:
        assert one.port != two.port
        first = httpx.post(one.url, data={"key": "k", "action": "services"}).json()
        second = httpx.post(two.url, data={"key": "k", "action": "services"}).json()
    assert first != second


def test_scaled_clock_runs_faster_than_real_time_and_can_jump() -> None:
    clock = ScaledClock(speed=1000)
    before = clock.now()
    clock.advance(60)
    assert clock.now() - before >= 60
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(speed=0)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock()
    assert clock.now() == clock.now() == 0
    clock.advance(1.5)
    assert clock.now() == 1.5
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_cli_defaults_and_a_generated_key() -> None:
    options = parse_args([])
    assert (options.host, options.port, options.profile) == ("127.0.0.1", 9001, "seed")
    assert (options.seed, options.services, options.speed) == (0, 300, 1.0)
    assert options.balance == Decimal(1000)
    assert len(options.key) == 32


def test_cli_parses_every_option() -> None:
    command_line = (
        "--port 9002 --host 0.0.0.0 --key abc --profile sloppy --seed 4 --services 80 "
        "--latency 25 --faults add:drop:0.1,*:latency:5 --speed 60 --currency EUR "
        "--balance 12.50 --rate-limit 60"
    )
    options = parse_args(shlex.split(command_line))
    assert (options.port, options.host, options.key, options.profile) == (
        9002,
        "0.0.0.0",
        "abc",
        "sloppy",
    )
    assert (options.seed, options.services, options.latency, options.speed) == (4, 80, 25, 60)
    assert (options.currency, options.balance, options.rate_limit) == ("EUR", Decimal("12.50"), 60)
    app = build_app(options)
    assert app.state.profile.name == "sloppy"
    assert len(app.state.panel.services) == 80
    assert len(app.state.faults.faults) == 2


@pytest.mark.parametrize(
    "argv",
    [["--profile", "nope"], ["--faults", "add:meteor"], ["--balance", "lots"], ["--speed", "0"]],
)
def test_cli_refuses_bad_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_module_serves_and_prints_its_url_and_key() -> None:
    command = [sys.executable, "-m", "providers.simulator", "--port", "0", "--key", "cli-key"]
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert "API key: cli-key" in process.stdout.readline()
            url = banner.split(" at ")[1].strip()
            assert url.endswith("/api/v2")
            answer = httpx.post(url, data={"key": "cli-key", "action": "balance"}).json()
            assert answer["balance"] == "1000.00000"
        finally:
            process.terminate()
            process.wait(timeout=10)
