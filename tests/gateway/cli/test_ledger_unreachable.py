"""A ledger that cannot be opened is one line naming it (password hidden), exit 1, no trace."""

from __future__ import annotations

import pytest

from gateway.cli import main

SECRET = "hunter2-not-shown"
CLOSED = f"postgresql+asyncpg://postgres:{SECRET}@127.0.0.1:24990/nothing"


@pytest.fixture(autouse=True)
def _bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL", "SMM_GATEWAY_KEY", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def assert_one_line(err: str) -> None:
    assert err.startswith("error: cannot open the ledger"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err, err
    assert "sqlalche.me" not in err, err
    assert SECRET not in err, err


@pytest.mark.parametrize(
    "args", [["orders", "list"], ["accounts", "check"], ["keys", "list"], ["migrate"]]
)
def test_an_unreachable_database_is_one_line(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", CLOSED)
    code, err = run(capsys, *args)
    assert code == 1, err
    assert_one_line(err)
    assert "127.0.0.1:24990" in err, err
    assert "refused" in err.lower(), err


def test_a_missing_database_says_so_in_one_line(
    postgres_available: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/smmgw_no_such_database_here"
    monkeypatch.setenv("DATABASE_URL", url)
    code, err = run(capsys, "orders", "list")
    assert code == 1, err
    assert_one_line(err)
    assert '"smmgw_no_such_database_here" does not exist' in err, err


def test_serve_checks_the_ledger_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", CLOSED)
    code, err = run(capsys, "serve", "--port", "24991")
    assert code == 1, err
    assert_one_line(err.splitlines(keepends=True)[-1])
