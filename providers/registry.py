"""Build an adapter from configuration by its `kind`.

::

    panel = build(ProviderConfig(name="rizvi", kind="rizvi", key=os.environ["RIZVI_API_KEY"]))
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from providers.base import Provider
from providers.profiles import SEED, get_profile
from providers.rizvi import rizvi
from providers.v2 import RetryPolicy, V2Provider


class ProviderConfig(BaseModel):
    """What it takes to talk to one panel. The key is a `SecretStr`: it never prints."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str = "v2"
    url: str | None = None
    key: SecretStr
    profile: str | None = None
    """A quirk profile of `providers.profiles` (``seed``, ``sloppy``, ``get_v1``, ``json``)."""
    currency: str | None = None
    timeout: float = Field(default=30.0, gt=0)
    calls_per_minute: int | None = Field(default=None, gt=0)
    concurrency: int | None = Field(default=None, gt=0)
    retry_attempts: int = Field(default=3, ge=1)


class UnknownKind(ValueError):
    """No adapter is registered for a configured kind."""


def _v2(config: ProviderConfig) -> Provider:
    return V2Provider(
        config.name,
        config.url,
        config.key,
        profile=get_profile(config.profile) if config.profile else SEED,
        currency=config.currency,
        timeout=config.timeout,
        retry=RetryPolicy(attempts=config.retry_attempts),
        calls_per_minute=config.calls_per_minute,
        concurrency=config.concurrency,
    )


def _rizvi(config: ProviderConfig) -> Provider:
    return rizvi(
        config.name,
        config.key,
        config.url,
        currency=config.currency,
        timeout=config.timeout,
        retry=RetryPolicy(attempts=config.retry_attempts),
        calls_per_minute=config.calls_per_minute,
        concurrency=config.concurrency,
    )


def _simulator(config: ProviderConfig) -> Provider:
    if not config.url:
        raise ValueError(f"provider {config.name!r}: a simulator needs the url it listens on")
    return _v2(config)


BUILDERS: dict[str, Callable[[ProviderConfig], Provider]] = {
    "v2": _v2,
    "rizvi": _rizvi,
    "simulator": _simulator,
}


def register(kind: str, builder: Callable[[ProviderConfig], Provider]) -> None:
    """Make another kind of adapter buildable from configuration."""
    BUILDERS[kind] = builder


def build(config: ProviderConfig) -> Provider:
    """The adapter for `config`; an unknown kind is an error naming the known ones."""
    try:
        builder = BUILDERS[config.kind]
    except KeyError:
        known = ", ".join(sorted(BUILDERS))
        raise UnknownKind(
            f"provider {config.name!r}: unknown kind {config.kind!r}; known kinds: {known}"
        ) from None
    return builder(config)
