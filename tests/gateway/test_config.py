from decimal import Decimal
from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, provider_configs

EXAMPLE = """
[gateway]
base_currency = "USD"
database_url = "sqlite+aiosqlite:///smm-gateway.db"
redis_url = "redis://127.0.0.1:6379/0"

[[providers]]
name = "rizvi"
kind = "rizvi"
key_env = "RIZVI_API_KEY"
currency = "USD"

[[providers]]
name = "otherpanel"
kind = "v2"
url = "https://other.example/api/v2"
key_env = "OTHER_KEY"
currency = "EUR"
profile = "sloppy"

[currency_rates]
EUR = "1.08"

[[catalog.groups]]
name = "Instagram Followers - refill 30d"
members = ["rizvi:1", "otherpanel:5012"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    return path


def test_example_configuration_loads(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, EXAMPLE))
    assert settings.gateway.redis_url == "redis://127.0.0.1:6379/0"
    assert [p.name for p in settings.providers] == ["rizvi", "otherpanel"]
    assert settings.currency_rates["EUR"] == Decimal("1.08")
    assert isinstance(settings.currency_rates["EUR"], Decimal)
    assert settings.rate_to_base("eur") == Decimal("1.08")
    assert settings.rate_to_base("USD") == Decimal(1)
    assert settings.catalog.groups[0].members == ["rizvi:1", "otherpanel:5012"]


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMM_GATEWAY_GATEWAY__BASE_CURRENCY", "EUR")
    monkeypatch.setenv("REDIS_URL", "redis://10.0.0.1:6380/2")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://db/gw")
    text = EXAMPLE.replace('EUR = "1.08"', 'USD = "0.93"')
    settings = load_config(write(tmp_path, text))
    assert settings.gateway.base_currency == "EUR"
    assert settings.gateway.redis_url == "redis://10.0.0.1:6380/2"
    assert settings.gateway.database_url == "postgresql+asyncpg://db/gw"


def test_provider_keys_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_config(write(tmp_path, EXAMPLE))
    configs = provider_configs(settings, {"RIZVI_API_KEY": "k-rizvi", "OTHER_KEY": "k-other"})
    assert [c.key.get_secret_value() for c in configs] == ["k-rizvi", "k-other"]
    assert "k-rizvi" not in repr(configs)
    assert "k-rizvi" not in str(configs)


def test_missing_key_names_the_variable_not_a_value(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, EXAMPLE))
    with pytest.raises(ConfigError, match="environment variable OTHER_KEY") as caught:
        provider_configs(settings, {"RIZVI_API_KEY": "k-rizvi"})
    assert "k-rizvi" not in str(caught.value)


def test_key_from_a_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "rizvi").write_text("file-key\n")
    text = EXAMPLE.replace('redis_url = "redis://127.0.0.1:6379/0"', f'secrets_dir = "{secrets}"')
    settings = load_config(write(tmp_path, text))
    configs = provider_configs(settings, {"OTHER_KEY": "x"})
    assert configs[0].key.get_secret_value() == "file-key"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "v2"', 'kind = "smtp"'), "kind 'smtp'; known kinds: rizvi, simulator, v2"),
        (('EUR = "1.08"', 'GBP = "1.2"'), r"no \[currency_rates\] entry for EUR"),
        (('"otherpanel:5012"', '"nobody:5012"'), "unknown providers"),
        (('"otherpanel:5012"', '"otherpanel"'), "provider:service_id"),
        (('name = "otherpanel"', 'name = "rizvi"'), "unique: rizvi"),
        (('EUR = "1.08"', 'EUR = "lots"'), "currency_rates.EUR"),
    ],
)
def test_invalid_configuration_is_explained(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, EXAMPLE.replace(*change)))


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[gateway"))


def test_defaults_without_a_file() -> None:
    settings = load_config(None)
    assert settings.gateway.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.providers == []


DEPLOY_EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "rizvi.example.toml"


def test_the_deploy_example_loads_and_names_every_option() -> None:
    import re
    import tomllib

    from pydantic import BaseModel

    from gateway.config import ProviderSection, Settings

    text = DEPLOY_EXAMPLE.read_text()
    tomllib.loads(text)  # valid TOML, commented defaults and all
    named = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE))
    named |= set(re.findall(r"^\[\[?(?:[a-z_]+\.)*([a-z_]+)\]", text, flags=re.MULTILINE))
    missing = []
    for section, info in Settings.model_fields.items():
        model = ProviderSection if section == "providers" else info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            missing += [f"{section}.{f}" for f in model.model_fields if f not in named]
    assert not missing, f"deploy/rizvi.example.toml does not show: {missing}"
