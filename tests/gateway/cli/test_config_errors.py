"""A configuration the CLI cannot use is told in one line, whatever is wrong in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main


@pytest.fixture(autouse=True)
def _bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMM_GATEWAY_CONFIG", "SMM_GATEWAY_URL", "SMM_GATEWAY_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[gateway]\nbase_currency = 5\n", "gateway.base_currency: Input should be a valid string"),
        (
            '[gateway]\nbase_currency = 5\n[api]\ngraphql_max_cost = "many"\n',
            "gateway.base_currency: Input should be a valid string; api.graphql_max_cost: ",
        ),
    ],
)
def test_an_invalid_configuration_is_one_line(
    text: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(text)
    code = main(["orders", "list", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("error: invalid configuration: "), err
    assert err.count("\n") == 1, err
    assert says in err, err


@pytest.mark.parametrize("url", ["notaurl", "ftp://127.0.0.1:24992", "127.0.0.1:24992"])
def test_a_gateway_url_without_http_says_so(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["providers", "--url", url, "--key", "k"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err == f"error: {url} is not a gateway URL: it starts with http:// or https://\n"


def test_a_closed_port_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["providers", "--url", "http://127.0.0.1:24993", "--key", "k"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("error: cannot reach the gateway at http://127.0.0.1:24993: "), err
    assert "refused" in err.lower(), err
