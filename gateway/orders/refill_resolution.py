"""Settling an ``UNCONFIRMED`` refill by an operator's word, once they have checked the panel.

A refill ask whose answer was lost may or may not have made a refill upstream; a v2 panel
cannot be asked which refills an order has, and asking again could make a second one (panels
allow one refill per order per cooldown, and some charge for it). So the order is not asked
again until an operator looks at the panel's refill list and says what happened::

    refill = await orders.resolve_refill(7, provider_refill_id="4411", by="cli:ops")  # made
    refill = await orders.resolve_refill(8, not_made=True, by="cli:ops")  # FAILED: ask again

A made refill becomes ``PENDING`` with the panel's refill id and is polled from then on; the id
is checked with the panel first (a refill status call) and refused if another refill of the
same provider already has it (the ledger holds one refill per provider id, so ``force`` records
only an id the panel cannot vouch for). A refill not made ends ``FAILED``, so a new ask for the
order is sent. Errors: `InvalidResolution` (codes ``INVALID_RESOLUTION``,
``PROVIDER_REFILL_UNKNOWN``, ``PROVIDER_REFILL_IN_USE``, ``PROVIDER_UNAVAILABLE``),
`NotUnconfirmedRefill` and `RefillUnknown`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from gateway import events
from gateway.orders.base import OrdersBase
from gateway.orders.errors import OrderError
from gateway.orders.resolution import PROVIDER_ID, UNAVAILABLE, InvalidResolution
from gateway.store import RefillRow
from gateway.store.refills import REFILL_UNCONFIRMED
from providers.errors import NotFound, ProviderError
from providers.models import RefillState

REFILL_RESOLVED = "refill_resolved"
"""The order history kind of a refill's resolution."""
UNKNOWN = "PROVIDER_REFILL_UNKNOWN"
IN_USE = "PROVIDER_REFILL_IN_USE"


class RefillUnknown(OrderError):
    code = "REFILL_NOT_FOUND"


class NotUnconfirmedRefill(OrderError):
    """Only an ``UNCONFIRMED`` refill can be settled; `state` is the refill's."""

    code = "REFILL_NOT_UNCONFIRMED"

    def __init__(self, refill_id: int, state: str) -> None:
        super().__init__(
            f"refill {refill_id} is {state}, not UNCONFIRMED: only an unconfirmed refill "
            "can be resolved"
        )
        self.state = state


class RefillResolution(OrdersBase):
    """An operator's answer to an ``UNCONFIRMED`` refill."""

    async def resolve_refill(
        self,
        refill_id: int,
        *,
        by: str,
        provider_refill_id: str | None = None,
        not_made: bool = False,
        force: bool = False,
    ) -> RefillRow:
        """Record that the refill was made as `provider_refill_id` (``PENDING``, polled now) or
        was `not_made` (``FAILED``: the order may be refilled again). `by` names who said so;
        it goes into the order's history entry."""
        if (provider_refill_id is not None) == not_made:
            raise InvalidResolution("give exactly one: the provider refill id, or not made")
        found = await self.store.get_refills([refill_id])
        if not found:
            raise RefillUnknown(f"unknown refill {refill_id}")
        refill = found[0]
        if refill.state != REFILL_UNCONFIRMED:
            raise NotUnconfirmedRefill(refill_id, refill.state)
        data: dict[str, Any] = {"refill": refill.id, "by": by}
        if provider_refill_id is None:
            changes: dict[str, Any] = {
                "state": RefillState.FAILED.value, "provider_refill_id": None,
                "error": f"not made at {refill.provider} (resolved by {by})",
                "next_poll_at": None,
            }  # fmt: skip
            data["outcome"] = "not_made"
        else:
            pid = PROVIDER_ID.fullmatch(provider_refill_id.strip())
            if pid is None:
                raise InvalidResolution(
                    "a provider refill id is 1 to 100 letters, digits or _.:-",
                    field="provider_refill_id",
                )
            data.update(await self._check_made(refill, pid.group(), force))
            changes = {
                "state": RefillState.PENDING.value, "provider_refill_id": pid.group(),
                "error": None, "next_poll_at": datetime.now(UTC),
            }  # fmt: skip
            data["outcome"] = "made"
        try:
            async with self.store.transaction() as tx:
                after = await self.store.settle_refill(refill.id, **changes, tx=tx)
                if after is None:  # settled meanwhile, by another operator
                    latest = (await self.store.get_refills([refill.id], tx=tx))[0]
                    raise NotUnconfirmedRefill(refill.id, latest.state)
                order = await self.store.update_order(
                    refill.order_id, event_kind=REFILL_RESOLVED, event_data=data, tx=tx
                )
                await events.record(self.store, tx, [events.refill_event(order, after)])
        except IntegrityError:
            # Another refill was given the same provider id meanwhile (one id, one refill).
            raise InvalidResolution(
                f"{refill.provider} refill {changes['provider_refill_id']} is already another "
                "refill's; check the id",
                code=IN_USE, field="provider_refill_id",
            ) from None  # fmt: skip
        return after

    async def _check_made(self, refill: RefillRow, pid: str, force: bool) -> dict[str, Any]:
        """Refuse an id another refill has or the panel does not vouch for, unless `force`;
        what was found goes into the history entry."""
        found: dict[str, Any] = {"provider_refill_id": pid}
        other = await self.store.find_refill_by_provider_id(refill.provider, pid)
        if other is not None:
            # The ledger holds one refill per provider id: this one cannot be forced.
            raise InvalidResolution(
                f"{refill.provider} refill {pid} is already refill {other.id}'s; check the id",
                code=IN_USE, field="provider_refill_id",
            )  # fmt: skip
        problem = await self._refill_problem(refill.provider, pid)
        if problem is not None:
            code, message = problem
            if not force:
                raise InvalidResolution(
                    f"{message}; check the id, or force it (--force) to record it unchecked",
                    code=code, field="provider_refill_id",
                )  # fmt: skip
            found.update(unchecked=message, forced=True)
        return found

    async def _refill_problem(self, name: str, pid: str) -> tuple[str, str] | None:
        provider = self.providers.get(name)
        if provider is None:
            return UNAVAILABLE, f"provider {name} is no longer configured"
        try:
            answer: object = (await provider.refill_status([pid])).get(pid)
        except ProviderError as exc:
            answer = exc
        if isinstance(answer, NotFound):
            return UNKNOWN, f"{name} does not know refill {pid}"
        if answer is None or isinstance(answer, ProviderError):
            reason = "no answer" if answer is None else answer.message
            return UNAVAILABLE, f"cannot ask {name} about refill {pid}: {reason}"
        return None
