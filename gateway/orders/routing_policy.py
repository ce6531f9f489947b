"""The routing policy of one order (`gateway.router`): from the request, the API key, the client
account, the group or the configuration, ranking with the quality book's current figures.

A quality reading that fails (the cache or the database busy) does not fail the order: the
policy then ranks on neutral figures, as for providers without history, and says so in a log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.catalog import Group
from gateway.orders.base import OrdersBase
from gateway.orders.errors import InvalidOrder
from gateway.policies import READS_QUALITY
from gateway.quality import QualityReport
from gateway.routing import Quote
from gateway.store.rows import AccountRow

log = logging.getLogger(__name__)


class RoutingPolicies(OrdersBase):
    """Choosing an order's policy and ranking its candidates with it."""

    async def _ranker(
        self,
        group: Group,
        policy: str | None,
        key_id: int | None,
        account: AccountRow | None,
        *,
        estimated: bool = True,
    ) -> Callable[[Quote], Quote]:
        """What re-ranks `group`'s candidates: the policy named by `policy` (the request's;
        ``InvalidOrder`` when unknown), else the key's (`key_id`), the account's, the group's or
        the configuration's. Without `estimated`, a policy that reads no quality figures
        ranks without them (and the quality book is not read)."""
        key_policy = None
        if key_id is not None:
            key = await self.key_reads.get(key_id)
            key_policy = None if key is None else key.routing_policy
        try:
            choice = self.router.choose(
                group,
                request=policy,
                key=key_policy,
                account=None if account is None else account.routing_policy,
            )
        except ValueError as exc:
            raise InvalidOrder(str(exc)) from None
        if not estimated and choice.policy not in READS_QUALITY:
            return self.router.ranker(choice, QualityReport({}, {}), estimated=False)
        return self.router.ranker(choice, await self._quality_report(), estimated=estimated)

    async def _quality_report(self) -> QualityReport:
        if self.quality is None:
            return QualityReport({}, {})
        try:
            return await self.quality.report()
        except Exception as exc:
            log.warning("provider quality unavailable, ranking on neutral figures: %s", exc)
            return QualityReport({}, {}, self.quality.days, self.quality.min_sample)
