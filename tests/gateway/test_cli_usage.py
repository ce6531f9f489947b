"""Usage errors are one line on stderr with exit 2, whichever parser finds them; --help works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.cli.choices import MAX_ROWS, State
from gateway.cli.common import NO_CONFIGURATION, REMOTE_ONLY
from gateway.graphql.pagination import MAX_PAGE
from gateway.store.states import ALL_STATES

CLI = [sys.executable, "-c", "from gateway.cli import entry_point; entry_point()"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["quote", "45", "abc"], "Invalid value for 'quantity'"),
        (["orders", "show", "abc"], "Invalid value for 'order_id'"),
        (["accounts", "topup", "acme", "12,50"], "'12,50' is not an amount"),
        (["orders", "resolve", "1"], "give exactly one of --provider-order PID and --not-placed"),
        (["orders", "list", "--bogus"], "No such option: --bogus"),
        (["nosuch"], "No such command 'nosuch'"),
        (["simulate", "--seed", "abc"], "argument --seed: invalid int value: 'abc'"),
    ],
)
def test_a_usage_error_is_one_line_with_exit_2(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, ""), err
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert says in err


@pytest.mark.parametrize("args", [["--help"], ["orders", "list", "--help"]])
def test_help_still_works(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, "")
    assert "Usage" in out


def test_a_group_without_a_command_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "orders")
    assert code == 2
    assert "Usage" in out + err
    assert "error:" not in err


def test_simulate_help_is_the_simulators(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", "--help")
    assert code == 0
    assert "--quality-service" in out


def test_simulate_on_a_port_in_use_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, _, err = run(capsys, "simulate", "--port", str(port))
    assert code == 1
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1


REMOTE = ("--url", "http://127.0.0.1:9", "--key", "k")  # nothing listens: refused before asking


@pytest.mark.parametrize("where", ["remote", "local"])
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["services", "search", "--max-rate", "abc"], "Invalid value for '--max-rate': 'abc'"),
        (["services", "search", "--max-rate", "1,5"], "Invalid value for '--max-rate': '1,5'"),
        (["services", "search", "--max-rate", "-1"], "a limit cannot be negative"),
        (["services", "search", "--platform", "nosuch"], "'nosuch' is not one of 'instagram'"),
        (["services", "search", "--metric", "nosuch"], "'nosuch' is not one of 'followers'"),
        (["services", "search", "--limit", "-1"], "Invalid value for '--limit'"),
        (["orders", "list", "--state", "BOGUS"], "'BOGUS' is not one of 'received'"),
        (["orders", "list", "--limit", "100000"], "Invalid value for '--limit'"),
        (["orders", "unconfirmed", "--limit", "0"], "Invalid value for '--limit'"),
        (["catalog", "changes", "--limit", "501"], "Invalid value for '--limit'"),
        (["orders", "show", "99999999999999999999"], "'order_id': Input should be less than"),
        (["orders", "show", "2147483648"], "less than or equal to 2147483647"),
        (["orders", "cancel", "1", "0"], "'order_ids': Input should be greater than or equal to 1"),
        (["orders", "refill", "99999999999999999999"], "less than or equal to 2147483647"),
        (["orders", "resolve", "2147483648", "--not-placed"], "less than or equal to 2147483647"),
        (["keys", "revoke", "99999999999999999999"], "less than or equal to 2147483647"),
        (["quote", "99999999999999999999", "1000"], "less than or equal to 2147483647"),
        (["catalog", "changes", "--days", "-1"], "'--days': must be above 0 and at most 36500"),
        (["catalog", "changes", "--days", "nan"], "'--days': must be above 0 and at most 36500"),
        (["catalog", "changes", "--days", "inf"], "'--days': must be above 0 and at most 36500"),
        (["catalog", "changes", "--days", "1e9"], "'--days': must be above 0 and at most 36500"),
        (
            ["keys", "create", "--name", "k", "--scope", "bogus"],
            "Invalid value for '--scope': unknown scope 'bogus'; known scopes: read, order",
        ),
    ],
)
def test_bad_filters_are_usage_errors_in_both_modes(
    args: list[str], says: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.toml"
    mode = REMOTE if where == "remote" else ("--config", str(missing))
    code, out, err = run(capsys, *args, *mode)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1, err
    assert says in err


@pytest.mark.parametrize("command", ["demo", "serve", "simulate"])
@pytest.mark.parametrize("port", ["99999", "65536", "abc"])
def test_a_port_out_of_range_is_a_usage_error(command: str, port: str, tmp_path: Path) -> None:
    # A process of its own, in an empty folder: nothing is served or made if it is not refused.
    done = subprocess.run([*CLI, command, "--port", port], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith("error: "), done.stderr
    assert "port" in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_states_are_the_ledgers() -> None:
    assert {s.value for s in State} == ALL_STATES
    assert MAX_ROWS == MAX_PAGE


@pytest.mark.parametrize(
    "args", [["webhooks", "list"], ["webhooks", "add", "http://127.0.0.1:9/h"],
             ["webhooks", "deliveries", "1"]],
)  # fmt: skip
def test_webhooks_without_a_gateway_url_say_so(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMM_GATEWAY_URL", raising=False)
    code, out, err = run(capsys, *args, "--key", "k")
    assert (code, out) == (1, "")
    assert err == f"error: {REMOTE_ONLY}\n"


@pytest.mark.parametrize("command", ["migrate", "serve", "worker"])
def test_a_command_that_opens_the_ledger_needs_a_configuration(
    command: str, tmp_path: Path
) -> None:
    # A process of its own, in an empty folder, with no configuration in its environment.
    names = ("DATABASE_URL", "SMM_GATEWAY_CONFIG", "SMM_GATEWAY_GATEWAY__DATABASE_URL",
             "SMM_GATEWAY_URL")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in names}
    done = subprocess.run([*CLI, command], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr == f"error: {NO_CONFIGURATION}\n"
    assert list(tmp_path.iterdir()) == [], "no ./smm-gateway.db made"
