"""Configuration: a TOML file, overridden by the environment, validated with clear messages.

::

    [gateway]
    base_currency = "USD"
    database_url = "sqlite+aiosqlite:///smm-gateway.db"
    redis_url = "redis://127.0.0.1:6379/0"          # optional

    [[providers]]
    name = "rizvi"
    kind = "rizvi"
    key_env = "RIZVI_API_KEY"                        # the key itself never sits in the file

    [currency_rates]
    EUR = "1.08"

Environment variables override the file: ``SMM_GATEWAY_GATEWAY__REDIS_URL=...`` (``__`` between
levels), and the common ``DATABASE_URL`` and ``REDIS_URL`` too. Provider keys come from the
environment variable named by ``key_env`` or from a secrets file (``key_file``, or
``<secrets_dir>/<provider name>``), never from the configuration file itself.

Each table's model (`GatewaySection`, `ProviderSection`, ...) is in `gateway.config_sections`
and is imported from here; this module puts them together (`Settings`), loads them
(`load_config`) and finds the provider keys (`provider_configs`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from gateway.config_sections import (
    ApiSection,
    CatalogSection,
    GatewaySection,
    GroupSection,
    LimitsSection,
    OrdersSection,
    ProviderSection,
    QualitySection,
    RoutingSection,
    WebhooksSection,
    WorkersSection,
)
from providers.models import Amount
from providers.registry import ProviderConfig

__all__ = [
    "ApiSection",
    "CatalogSection",
    "ConfigError",
    "GatewaySection",
    "GroupSection",
    "LimitsSection",
    "OrdersSection",
    "ProviderSection",
    "QualitySection",
    "RoutingSection",
    "Settings",
    "WebhooksSection",
    "WorkersSection",
    "load_config",
    "provider_configs",
]


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix (never a secret)."""


class Settings(BaseSettings):
    """The whole configuration. Build it with `load_config`."""

    model_config = SettingsConfigDict(
        env_prefix="SMM_GATEWAY_", env_nested_delimiter="__", extra="forbid"
    )

    gateway: GatewaySection = Field(default_factory=GatewaySection)
    providers: list[ProviderSection] = Field(default_factory=list)
    currency_rates: dict[str, Amount] = Field(default_factory=dict)
    """Units of base currency per unit of each other currency."""
    catalog: CatalogSection = Field(default_factory=CatalogSection)
    api: ApiSection = Field(default_factory=ApiSection)
    webhooks: WebhooksSection = Field(default_factory=WebhooksSection)
    limits: LimitsSection = Field(default_factory=LimitsSection)
    workers: WorkersSection = Field(default_factory=WorkersSection)
    orders: OrdersSection = Field(default_factory=OrdersSection)
    routing: RoutingSection = Field(default_factory=RoutingSection)
    quality: QualitySection = Field(default_factory=QualitySection)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's content arrives as init values; the environment must win over it.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [p.name for p in self.providers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"provider names must be unique: {', '.join(duplicates)}")
        base = self.gateway.base_currency.upper()
        rates = {k.upper() for k in self.currency_rates} | {base}
        missing = sorted({p.currency.upper() for p in self.providers} - rates)
        if missing:
            raise ValueError(
                f"no [currency_rates] entry for {', '.join(missing)} (base currency {base})"
            )
        for group in self.catalog.groups:
            unknown = sorted({m.split(":", 1)[0] for m in group.members} - set(names))
            if unknown:
                raise ValueError(f"group {group.name!r} names unknown providers: {unknown}")
        return self

    def rate_to_base(self, currency: str) -> Decimal:
        """Units of base currency for one unit of `currency`."""
        currency = currency.upper()
        if currency == self.gateway.base_currency.upper():
            return Decimal(1)
        rates = {k.upper(): v for k, v in self.currency_rates.items()}
        try:
            return rates[currency]
        except KeyError:
            raise ConfigError(f"no [currency_rates] entry for {currency}") from None


def _key_for(section: ProviderSection, gateway: GatewaySection, environ: Mapping[str, str]) -> str:
    if section.key_env:
        value = environ.get(section.key_env, "").strip()
        if value:
            return value
    files = [section.key_file] if section.key_file else []
    if gateway.secrets_dir:
        files.append(gateway.secrets_dir / section.name)
    for path in files:
        if path.is_file():
            value = path.read_text().strip()
            if value:
                return value
    places = []
    if section.key_env:
        places.append(f"the environment variable {section.key_env}")
    places.extend(f"the file {p}" for p in files)
    where = " or ".join(places) if places else "key_env or key_file in its [[providers]] entry"
    raise ConfigError(f"provider {section.name!r} has no API key: set {where}")


def provider_configs(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[ProviderConfig]:
    """The enabled providers, each with its key resolved; a missing key is a `ConfigError`."""
    environ = os.environ if environ is None else environ
    return [
        ProviderConfig(
            name=p.name,
            kind=p.kind,
            url=p.url,
            key=SecretStr(_key_for(p, settings.gateway, environ)),
            profile=p.profile,
            currency=p.currency,
            timeout=p.timeout,
            calls_per_minute=p.calls_per_minute,
            concurrency=p.concurrency,
        )
        for p in settings.providers
        if p.enabled
    ]


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "configuration"
        problems.append(f"{where}: {item['msg']}")
    return "invalid configuration: " + "; ".join(problems)


def load_config(path: str | Path | None = None) -> Settings:
    """Read `path` (TOML), apply environment overrides, validate.

    Raises `ConfigError`: one line naming every problem.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"configuration file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    gateway = dict(data.get("gateway", {}))
    for variable, field in (("DATABASE_URL", "database_url"), ("REDIS_URL", "redis_url")):
        if os.environ.get(variable):
            gateway[field] = os.environ[variable]
    if gateway:
        data["gateway"] = gateway
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
