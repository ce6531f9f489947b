"""The configuration's sections: one model per TOML table, each checking its own values.

`gateway.config` puts them together into `Settings` and loads them from a file and the
environment; import them from there.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.store.rows import RoutingPolicy
from providers.models import Amount
from providers.registry import BUILDERS


class GatewaySection(BaseModel):
    """The gateway's own settings: base currency, the ledger's database, Redis, secrets."""

    model_config = ConfigDict(extra="forbid")

    base_currency: str = Field(default="USD", pattern=r"^[A-Za-z]{3}$")
    database_url: str = "sqlite+aiosqlite:///smm-gateway.db"
    redis_url: str | None = None
    cache_namespace: str = Field(default="smmgw", pattern=r"^[A-Za-z0-9_.:-]+$")
    """Prefix of every Redis key: gateways sharing a Redis with another deployment differ here."""
    secrets_dir: Path | None = None
    """Where ``<provider name>`` files hold provider keys (e.g. ``/run/secrets``)."""
    pool_size: int = Field(default=5, ge=1)
    """Database connections each process keeps open."""
    max_overflow: int = Field(default=10, ge=0)
    """Connections opened beyond `pool_size` under load, closed when returned."""


class ProviderSection(BaseModel):
    """One panel. Everything but the key; the key is found through `key_env` or a file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str = "v2"
    url: str | None = None
    key_env: str | None = None
    key_file: Path | None = None
    profile: str | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Za-z]{3}$")
    enabled: bool = True
    priority: int = 0
    """Breaks ties between equal costs: lower first."""
    timeout: float = Field(default=30.0, gt=0)
    calls_per_minute: int | None = Field(default=None, gt=0)
    concurrency: int | None = Field(default=None, gt=0)
    balance_low: Amount | None = None
    """Below this balance (provider currency) the provider is reported as low on funds."""

    @model_validator(mode="after")
    def _known_kind(self) -> Self:
        if self.kind not in BUILDERS:
            known = ", ".join(sorted(BUILDERS))
            raise ValueError(f"unknown kind {self.kind!r}; known kinds: {known}")
        return self


class GroupSection(BaseModel):
    """An explicit equivalence: these provider services are the same product."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    members: list[str] = Field(min_length=1)
    """``"provider:service_id"`` entries."""
    max_rate: Amount | None = None
    """Members above this rate (base currency, per 1000) are never chosen."""
    routing_policy: RoutingPolicy | None = None
    """How this group's orders are routed, unless the request, key or account says."""

    @model_validator(mode="after")
    def _members_named(self) -> Self:
        bad = [m for m in self.members if ":" not in m or not all(m.split(":", 1))]
        if bad:
            raise ValueError(f"members must look like 'provider:service_id', got {bad}")
        return self


class CatalogSection(BaseModel):
    """Explicit service groups and how often the catalog is fetched."""

    model_config = ConfigDict(extra="forbid")

    groups: list[GroupSection] = Field(default_factory=list)
    refresh_seconds: float = Field(default=900.0, gt=0)
    stale_after_refreshes: float = Field(default=3.0, gt=0)
    """A provider whose services were last fetched this many refresh intervals ago is left out
    of routing ("catalog stale") rather than routed on old prices."""


class ApiSection(BaseModel):
    """The APIs' switches: browsers, the in-browser IDE, and the GraphQL abuse limits."""

    model_config = ConfigDict(extra="forbid")

    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed to call the APIs (``"*"`` for any)."""
    graphiql: bool = True
    """The in-browser IDE at GET /graphql; switch off in production."""
    introspection: bool = True
    """GraphQL schema introspection; switch off in production."""
    graphql_max_depth: int = Field(default=12, ge=1)
    graphql_max_tokens: int = Field(default=3000, ge=1)
    graphql_max_aliases: int = Field(default=20, ge=0)
    response_cache_ttl: float = Field(default=300.0, gt=0)
    """Seconds a catalog response stays cached; a catalog sync invalidates it sooner."""
    metrics_token_env: str | None = None
    """The environment variable holding the bearer token /metrics asks of its scraper."""
    metrics_token_file: Path | None = None
    """Or a file holding it; ``<secrets_dir>/metrics_token`` is looked at too."""
    metrics_public: bool = False
    """/metrics without a token (only where no one but the scraper can reach the port)."""
    anonymous_introspection: bool = False
    """Introspection and "Did you mean" suggestions for callers without a key (on in the demo)."""
    graphql_max_cost: int = Field(default=20_000, ge=1)
    """The largest static cost of one GraphQL operation (objects, times list sizes)."""
    graphql_cost_budget: str = "200000/minute"
    """Per key (per address without a key): GraphQL cost executed, in the ``limits`` notation."""
    graphql_list_size: int = Field(default=10, ge=1)
    """The size assumed for a list without a slicing argument (``first``) or bound of its own."""
    graphql_heavy_cost: int = Field(default=1000, ge=1)
    """Operations of at least this cost run at most ``graphql_heavy_concurrency`` at once per
    process, so that they cannot crowd out light requests."""
    graphql_heavy_concurrency: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _budget_fits(self) -> Self:
        from limits import parse

        try:
            budget = parse(self.graphql_cost_budget)
        except ValueError:
            raise ValueError(
                f"unreadable graphql_cost_budget {self.graphql_cost_budget!r}"
            ) from None
        if budget.amount < self.graphql_max_cost:
            raise ValueError("graphql_cost_budget must allow at least graphql_max_cost")
        return self


class WebhooksSection(BaseModel):
    """Webhook delivery."""

    model_config = ConfigDict(extra="forbid")

    allow_private_targets: bool = False
    """Let endpoints point at loopback, private or link-local addresses (tests, one host)."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds per attempt."""
    max_attempts: int = Field(default=10, ge=1)
    """Then a delivery is given up: about a day of jittered exponential retries."""
    concurrency: int = Field(default=10, ge=1)
    secret_overlap_hours: float = Field(default=24.0, ge=0)
    """A rotated-out secret keeps signing beside the new one this long."""


class LimitsSection(BaseModel):
    """Request limits, shared by every instance through Redis when it is configured."""

    model_config = ConfigDict(extra="forbid")

    per_key: str = "120/minute"
    """Per API key, on /api/v2 and /graphql alike (the ``limits`` notation: "120/minute")."""
    anonymous: str = "30/minute"
    """Per client address, for requests without a valid key."""
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    """The largest request body accepted: room for a custom comments order of thousands of
    lines, as panels list them."""
    keys: dict[str, str] = Field(default_factory=dict)
    """API key name -> its own limit."""

    @model_validator(mode="after")
    def _parse(self) -> Self:
        from limits import parse

        for text in (self.per_key, self.anonymous, *self.keys.values()):
            try:
                parse(text)
            except ValueError:
                raise ValueError(f'not a rate limit: {text!r} (try "120/minute")') from None
        return self


class WorkersSection(BaseModel):
    """Where the background jobs run."""

    model_config = ConfigDict(extra="forbid")

    in_process: bool = True
    """Run status sync, refreshes and deliveries inside ``serve`` (one instance). Set false
    when separate ``smm-gateway worker`` processes do them, so that periodic work is not
    repeated by every gateway instance."""
    heartbeat_seconds: float = Field(default=2.0, gt=0)
    """How often every gateway and worker process records in the ledger that it is alive."""
    heartbeat_timeout_seconds: float = Field(default=10.0, gt=0)
    """A process silent this long counts as dead: its status-sync claims and idempotency
    claims are taken over at once."""
    lease_seconds: float = Field(default=120.0, gt=0)
    """How long a live worker's claim on an order lasts: a bound for a stuck, not a dead,
    worker (a dead one loses its claims after `heartbeat_timeout_seconds`)."""

    @model_validator(mode="after")
    def _heartbeat_fits(self) -> Self:
        if self.heartbeat_timeout_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("heartbeat_timeout_seconds must be at least twice heartbeat_seconds")
        return self


class OrdersSection(BaseModel):
    """How client reads of orders are answered."""

    model_config = ConfigDict(extra="forbid")

    fresh_seconds: float = Field(default=60.0, gt=0)
    """An open order last synced longer ago than this is polled next by the status sync when
    a client reads it. Reads always answer from the ledger, at once."""


class RoutingSection(BaseModel):
    """How orders are routed among eligible providers (`gateway.policies`, `gateway.router`)."""

    model_config = ConfigDict(extra="forbid")

    policy: RoutingPolicy = RoutingPolicy.CHEAPEST
    """``cheapest``, ``best_value`` or ``fastest``; a group, account, key or request may say
    otherwise."""
    groups: dict[str, RoutingPolicy] = Field(default_factory=dict)
    """Policies by unified service group name (automatic groups too)."""
    time_price_per_hour: Amount = Field(default=Decimal(0), ge=0)
    """Base currency ``best_value`` adds per hour of an order's expected time to complete."""
    fastest_ceiling_percent: Amount = Field(default=Decimal(20), ge=0)
    """``fastest`` chooses among candidates costing at most this percent above the cheapest."""
    exploration_share: Amount = Field(default=Decimal("0.05"), ge=0, le=1)
    """Share of orders under ``best_value``/``fastest`` sent to a candidate without history."""
    exploration_seed: int | None = None
    """Fixes exploration's draws (tests, benchmarks); unset draws from the system."""


class QualitySection(BaseModel):
    """How provider quality is measured (`gateway.quality`)."""

    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=30, ge=1)
    """The sliding window, in UTC days ending today."""
    min_sample: int = Field(default=20, ge=1)
    """The fewest orders a figure is claimed from; below it policies assume neutral figures."""
