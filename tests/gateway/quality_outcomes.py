"""Orders with known outcomes, recorded through the store as the gateway records them, so that
the quality figures every face shows are exact.

A store of its own on the gateway's database, with a clock that moves only as told, writes:

- `alpha`'s service: three orders of 1,000 completed (progress after 60 s, complete after
  3,600 s, charged their quoted 1.00) and one partial (progress after 120 s, ended after
  4,000 s with 400 remaining, charged 0.60);
- `beta`'s service: two orders of 1,000 completed (progress after 30 s, complete after 600 s).

With a minimum sample of 3 (`MIN_SAMPLE`), alpha's figures are all known (`ALPHA`) and beta's are
null on a sample of 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway.store import Store
from providers.models import OrderState

MIN_SAMPLE = 3
QUANTITY = 1000

ALPHA: dict[str, tuple[Decimal | None, int]] = {
    "completion_rate": (Decimal("0.75"), 4),
    "partial_rate": (Decimal("0.25"), 4),
    "delivered_fraction": (Decimal("0.9"), 4),  # 3,600 of 4,000 units
    "cancel_rate": (Decimal(0), 4),
    "failure_rate": (Decimal(0), 4),
    "start_seconds": (Decimal(75), 4),  # (60 * 3 + 120) / 4
    "complete_seconds_per_1000": (Decimal(3600), 3),
    "refill_success_rate": (None, 0),
    "charge_fraction": (Decimal("0.9"), 4),  # 3.60 charged of 4.00 quoted
}
"""Alpha's figures (its service's and, with no other service, the provider's): value, sample."""


class ManualClock:
    """Aware UTC time that moves only when told; starts two hours before the real now, so
    every order ends today or yesterday, inside any window."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Outcome:
    state: str
    start: int
    end: int
    remains: int
    charge: Decimal


async def _record(
    store: Store, clock: ManualClock, provider: str, service: str, n: int, o: Outcome
) -> None:
    began = clock.now
    row = await store.create_order(
        client_id="quality-test",
        request={"service": service, "link": f"https://instagram.com/p/q{n}",
                 "quantity": QUANTITY},
        provider=provider, provider_service_id=service,
        provider_cost=Decimal("1.00"), provider_currency="USD",
    )  # fmt: skip
    row = await store.mark_sent(row.id, row.version)
    await store.update_order(
        row.id, event_kind="placed", state=OrderState.PENDING, provider_order_id=f"q{n}"
    )
    clock.now = began + timedelta(seconds=o.start)
    await store.update_order(row.id, event_kind="status", state=OrderState.IN_PROGRESS)
    clock.now = began + timedelta(seconds=o.end)
    await store.update_order(
        row.id, event_kind="status", state=o.state, remains=o.remains, charge=o.charge,
        charge_currency="USD",
    )  # fmt: skip
    clock.now = began


async def record_outcomes(database_url: str, alpha_service: str, beta_service: str) -> None:
    """The orders of the module docstring, on `database_url`."""
    clock = ManualClock()
    done = Outcome(OrderState.COMPLETED, 60, 3600, 0, Decimal("1.00"))
    partial = Outcome(OrderState.PARTIAL, 120, 4000, 400, Decimal("0.60"))
    quick = Outcome(OrderState.COMPLETED, 30, 600, 0, Decimal("1.00"))
    async with await Store.connect(database_url, clock=clock) as store:
        for n, outcome in enumerate((done, done, done, partial)):
            await _record(store, clock, "alpha", alpha_service, n, outcome)
        for n, outcome in enumerate((quick, quick), 10):
            await _record(store, clock, "beta", beta_service, n, outcome)
