"""The panel itself: orders, refills and their rules on top of its accounts (`accounts`), with
no HTTP in sight.

`Panel` works in plain integer ids and raises `PanelError` for anything it refuses; the HTTP
layer decodes a profile's ids into integers and renders answers and errors through the profile.

>>> from providers.simulator.clock import ManualClock
>>> panel = Panel(generate_services(seed=1), clock=ManualClock(), keys=["k"])
>>> panel.balance("k")
Decimal('1000')
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from providers.models import OrderState, RefillState

from .accounts import DEFAULT_BALANCE, PanelAccounts
from .catalog import SimService, generate_services
from .clock import Clock, ScaledClock
from .drops import dropped
from .orders import OrderView, SimOrder, SimRefill
from .placing import check_order
from .problems import PanelError, Problem
from .quality import QualityPlan

__all__ = ["Panel", "generate_services"]


class Panel(PanelAccounts):
    """A simulated panel's state machine, deterministic for a seed and a clock.

    Thread-safe: the HTTP server runs in its own thread while tests inspect the panel.
    """

    def __init__(
        self,
        services: Sequence[SimService],
        *,
        clock: Clock | None = None,
        seed: int = 0,
        currency: str = "USD",
        keys: Iterable[str] = (),
        balance: Decimal = DEFAULT_BALANCE,
        rate_limit: int | None = None,
        rate_clock: Clock | None = None,
        duplicate_links: bool = False,
        quality: QualityPlan | None = None,
    ) -> None:
        self.services = list(services)
        self.clock: Clock = clock or ScaledClock()
        self.seed = seed
        self.currency = currency.upper()
        super().__init__(balance=balance, rate_limit=rate_limit, rate_clock=rate_clock)
        self.duplicate_links = duplicate_links
        """Refuse an order while the key has an unfinished one for the same link."""
        self.quality = quality or QualityPlan()
        """How services deliver: decides each order when placed, each refill when requested."""
        self.on_change: Callable[[], None] | None = None
        """Called (holding the panel's lock) after an order, cancel or refill changed state:
        `providers.simulator.persist` saves the panel there."""

        self._by_id = {service.id: service for service in self.services}
        self._orders: dict[int, SimOrder] = {}
        self._refills: dict[int, SimRefill] = {}
        self._open_refill: dict[int, int] = {}
        self._last_by_link: dict[tuple[str, str], int] = {}
        self._settle_queue: list[tuple[float, int]] = []
        rng = random.Random(f"panel:{seed}")
        self._next_order = 10_000 + rng.randrange(0, 90_000)
        self._next_refill = 1 + rng.randrange(0, 1000)
        for key in keys:
            self.set_account(key)

    # -- services and orders --------------------------------------------------------------

    def service(self, service_id: int | None) -> SimService:
        """The service `service_id`, or `PanelError(BAD_SERVICE)`."""
        service = self._by_id.get(service_id) if service_id is not None else None
        if service is None:
            raise PanelError(Problem.BAD_SERVICE)
        return service

    def set_rate(self, service_id: int | None, rate: Decimal) -> SimService:
        """Re-price service `service_id` (a panel raising its price); orders placed before keep
        what they were charged."""
        if rate <= 0:
            raise ValueError("a rate must be positive")
        with self._lock:
            repriced = replace(self.service(service_id), rate=rate)
            self._by_id[repriced.id] = repriced
            self.services = [repriced if s.id == repriced.id else s for s in self.services]
            return repriced

    def add(self, key: str, service_id: int | None, fields: Mapping[str, str]) -> SimOrder:
        """Place an order for `key`, charging its cost."""
        with self._lock:
            self._settle()
            account = self.account(key)
            service = self.service(service_id)
            placement = check_order(service, fields)
            now = self.clock.now()
            if self.duplicate_links and placement.link:
                previous = self._orders.get(self._last_by_link.get((key, placement.link), -1))
                if previous is not None and not previous.state_at(now).final:
                    raise PanelError(Problem.DUPLICATE_LINK)
            if account.balance < placement.cost:
                raise PanelError(Problem.NO_FUNDS)

            order_id = self._next_order
            self._next_order += 1
            rng = random.Random(f"order:{self.seed}:{order_id}")
            total = placement.quantity * placement.runs
            terms = self.quality.order_terms(service, total, rng)
            order = SimOrder(
                id=order_id,
                key=key,
                service=terms.service,
                fields=dict(fields),
                quantity=placement.quantity,
                runs=placement.runs,
                interval=placement.interval,
                cost=placement.cost,
                currency=self.currency,
                created_at=now,
                start_count=rng.randint(0, 50_000),
                target=terms.target,
                refund_partial=terms.refund_partial,
                drop_share=terms.drop_share,
            )
            account.balance -= placement.cost
            self._orders[order_id] = order
            if placement.link:
                self._last_by_link[(key, placement.link)] = order_id
            if terms.target < total:
                heapq.heappush(self._settle_queue, (order.final_at, order_id))
            self._changed()
            return order

    def _own_order(self, key: str, order_id: int | None) -> SimOrder:
        order = self._orders.get(order_id) if order_id is not None else None
        if order is None or order.key != key:
            raise PanelError(Problem.BAD_ORDER)
        return order

    def status(self, key: str, order_id: int | None) -> OrderView:
        """The status of one of `key`'s orders."""
        with self._lock:
            self._settle()
            return self._own_order(key, order_id).view(self.clock.now())

    def cancel(self, key: str, order_id: int | None) -> None:
        """Cancel an unfinished order of a cancelable service, refunding what was not delivered.

        Nothing delivered yet: Canceled with a full refund; otherwise Partial.
        """
        with self._lock:
            self._settle()
            order = self._own_order(key, order_id)
            now = self.clock.now()
            if not order.service.cancel or order.state_at(now).final:
                raise PanelError(Problem.NOT_CANCELABLE)
            delivered = order.delivered_at(now)
            state = OrderState.PARTIAL if delivered else OrderState.CANCELED
            self.account(key).balance += order.stop(state, delivered)
            self._changed()

    def refill(self, key: str, order_id: int | None) -> int:
        """Request a refill of a Completed or Partial order of a refillable service."""
        with self._lock:
            self._settle()
            order = self._own_order(key, order_id)
            now = self.clock.now()
            if not order.service.refill or order.state_at(now) not in (
                OrderState.COMPLETED,
                OrderState.PARTIAL,
            ):
                raise PanelError(Problem.NOT_REFILLABLE)
            open_refill = self._refills.get(self._open_refill.get(order.id, -1))
            if open_refill is not None and not open_refill.state_at(now).final:
                raise PanelError(Problem.NOT_REFILLABLE)
            refill_id = self._next_refill
            self._next_refill += 1
            rng = random.Random(f"refill:{self.seed}:{refill_id}")
            self._refills[refill_id] = SimRefill(
                id=refill_id,
                order_id=order.id,
                key=key,
                created_at=now,
                rejected=self.quality.refill_rejected(order.service.id, rng),
            )
            self._open_refill[order.id] = refill_id
            self._changed()
            return refill_id

    def refill_status(self, key: str, refill_id: int | None) -> RefillState:
        """The state of one of `key`'s refills."""
        with self._lock:
            refill = self._refills.get(refill_id) if refill_id is not None else None
            if refill is None or refill.key != key:
                raise PanelError(Problem.BAD_REFILL)
            return refill.state_at(self.clock.now())

    # -- inspection -----------------------------------------------------------------------

    def order(self, order_id: int) -> SimOrder | None:
        """Any order by id, whatever its key (for tests and the control endpoints)."""
        with self._lock:
            self._settle()
            return self._orders.get(order_id)

    def orders(self, key: str | None = None) -> list[SimOrder]:
        """Every order placed (of `key` only, if given), oldest first."""
        with self._lock:
            self._settle()
            return [o for o in self._orders.values() if key is None or o.key == key]

    def dropped(self, order_id: int) -> int:
        """Units of order `order_id` dropped by now and not restored by a refill."""
        with self._lock:
            done = [r.done_at for r in self._refills.values() if r.order_id == order_id]
            return dropped(self._orders[order_id], done, self.clock.now())

    @property
    def order_count(self) -> int:
        return len(self._orders)

    @property
    def refill_count(self) -> int:
        return len(self._refills)

    def refills_of(self, order_id: int) -> list[int]:
        """The ids of order `order_id`'s refills, oldest first: what a panel's refill list
        shows its operator."""
        with self._lock:
            return sorted(r.id for r in self._refills.values() if r.order_id == order_id)

    def advance(self, seconds: float) -> float:
        """Move simulated time forward; returns the new time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("seconds must be a finite number >= 0")
        self.clock.advance(seconds)
        with self._lock:
            self._settle()
        return self.clock.now()

    def ids_from(self, order_id: int) -> None:
        """Hand out order ids from `order_id` on, if that is past the next one."""
        with self._lock:
            self._next_order = max(self._next_order, order_id)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _settle(self) -> None:
        # Partial orders are refunded the moment they end, whoever looks first.
        now = self.clock.now()
        queue = self._settle_queue
        while queue and queue[0][0] <= now:
            _, order_id = heapq.heappop(queue)
            order = self._orders[order_id]
            if order.stopped is None:
                self._accounts[order.key].balance += order.settle()
