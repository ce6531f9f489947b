"""Usage errors are one line on stderr with exit 2, whichever parser finds them; --help works."""

from __future__ import annotations

import pytest

from gateway.cli import main


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
