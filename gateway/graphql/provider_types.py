"""Provider types: balances, health and catalog syncs, and the price-change feed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from gateway.balances import ProviderBalance
from gateway.catalog_sync import SyncResult
from gateway.graphql.catalog_types import Money, ServiceNode
from gateway.graphql.context import Info
from gateway.graphql.fields import field
from gateway.graphql.permissions import OPERATOR
from gateway.graphql.quality_types import QualityNode, quality_of
from gateway.health import BreakerState
from gateway.store import PriceChange, PriceChangeKind


@strawberry.type(name="ProviderBalance", description="One provider's account balance.")
class BalanceNode:
    provider: str = strawberry.field(description="The provider's name.")
    balance: Money | None = strawberry.field(description="In the provider's currency.")
    base_balance: Money | None = strawberry.field(description="In the base currency.")
    fetched_at: datetime | None = strawberry.field(description="When it was read.")
    error: str | None = strawberry.field(description="Why it could not be read.")
    low: bool = strawberry.field(description="Below the configured low-balance threshold.")

    @classmethod
    def of(cls, b: ProviderBalance) -> BalanceNode:
        return cls(
            provider=b.provider,
            balance=Money.of(b.balance) if b.balance else None,
            base_balance=Money.of(b.base) if b.base else None,
            fetched_at=b.fetched_at,
            error=b.error,
            low=b.low,
        )


@strawberry.type(description="Every provider's balance and their total.")
class Balances:
    providers: list[BalanceNode] = strawberry.field(description="One entry per provider.")
    total: Money = strawberry.field(
        description="The sum of the balances that could be read, in the base currency."
    )


@strawberry.type(description="How a provider's last catalog sync went.")
class ProviderSync:
    provider: str = strawberry.field(description="The provider's name.")
    ok: bool = strawberry.field(description="The service list was fetched.")
    services: int = strawberry.field(description="How many services it listed.")
    seconds: float = strawberry.field(description="How long the fetch took.")
    error: str | None = strawberry.field(description="Why it failed.")
    added: int = strawberry.field(description="Services new since the previous sync.")
    changed: int = strawberry.field(description="Services whose rate changed.")
    removed: int = strawberry.field(description="Services gone since the previous sync.")

    @classmethod
    def of(cls, r: SyncResult) -> ProviderSync:
        return cls(
            provider=r.provider, ok=r.ok, services=r.services, seconds=r.seconds, error=r.error,
            added=r.added, changed=r.changed, removed=r.removed,
        )  # fmt: skip


@strawberry.type(name="Provider", description="An upstream panel the gateway routes orders to.")
class ProviderNode:
    name: str = strawberry.field(description="The provider's name in the configuration.")
    health: BreakerState = strawberry.field(description="Its circuit breaker's state.")
    consecutive_failures: int = strawberry.field(description="Failures since the last success.")
    cooldown_seconds: float = strawberry.field(
        description="Seconds until routing tries it again (0 when healthy)."
    )
    last_error: str | None = strawberry.field(description="The last failure seen.")
    last_sync: ProviderSync | None = strawberry.field(
        description=(
            "Its last catalog sync by this instance, if any (null on an instance that leaves "
            "the syncs to separate workers: see syncedAt)."
        )
    )
    synced_at: datetime | None = strawberry.field(
        description=(
            "When its services were last fetched, by any instance or worker (kept in the "
            "ledger); null when they never were."
        )
    )
    service_count: int = strawberry.field(description="Services it offers in the catalog.")

    @field("Its balance (read at most once per request).")
    async def balance(self, info: Info) -> BalanceNode | None:
        found = await info.context.loaders.balance.load(self.name)
        return None if found is None else BalanceNode.of(found)

    @field(
        "How it delivered lately, over all its services (ops or admin keys).",
        permission_classes=OPERATOR,
    )
    async def quality(self, info: Info) -> QualityNode | None:
        return await quality_of(info.context, self.name, None)


@strawberry.type(
    name="PriceChange", description="A provider service appeared, was re-priced or went."
)
class PriceChangeNode:
    id: int = strawberry.field(description="Position in the feed: later changes have larger ids.")
    provider: str = strawberry.field(description="The provider's name.")
    provider_service_id: str = strawberry.field(description="The service's id at the provider.")
    kind: PriceChangeKind = strawberry.field(description="What happened.")
    old_rate: Decimal | None = strawberry.field(description="The rate before, per 1000.")
    new_rate: Decimal | None = strawberry.field(description="The rate after, per 1000.")
    currency: str = strawberry.field(description="The provider's currency of both rates.")
    at: datetime = strawberry.field(description="When the sync saw it.")
    service_id: int | None = strawberry.field(
        description="The unified service it belongs to now, if it is still listed."
    )

    @field("The unified service it belongs to now.")
    async def service(self, info: Info) -> ServiceNode | None:
        if self.service_id is None:
            return None
        group = await info.context.loaders.group.load(self.service_id)
        return None if group is None else ServiceNode.of(group)

    @classmethod
    def of(cls, change: PriceChange, service_id: int | None) -> PriceChangeNode:
        return cls(
            id=change.id or 0, provider=change.provider,
            provider_service_id=change.provider_service_id,
            kind=PriceChangeKind(change.kind), old_rate=change.old_rate,
            new_rate=change.new_rate, currency=change.currency, at=change.at,
            service_id=service_id,
        )  # fmt: skip
