"""Orders of client accounts: priced with the account's price list, held on its funds.

The price comes from the cheapest member the router chose (`gateway.accounts.pricing`); members
the price would lose money on are left out of the quote, so failover never reaches them. When
the cheapest breaks the account's minimum margin under the ``skip`` policy, placement is refused
(`MarginBreached`), a ``service.margin_breached`` event is recorded and the breach is counted
(``smmgw_margin_breaches_total``). The hold itself is written by the store in the order row's
transaction (`gateway.orders.placement`); keys without an account are neither priced nor held.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from gateway import events, metrics
from gateway.accounts.errors import AccountSuspended, MarginBreached
from gateway.accounts.pricing import ClientPrice, PriceList, price_order
from gateway.orders.base import OrdersBase
from gateway.routing import Quote
from gateway.store.rows import AccountRow

log = logging.getLogger(__name__)


def price_list(account: AccountRow) -> PriceList:
    """The account's price list, as stored in its row."""
    return PriceList.model_validate(account.price_list)


def refuse_suspended(account: AccountRow) -> None:
    """Refuse a suspended account at once. The hold checks again under the account's lock;
    this spares a suspended account a quote, and margin events it could never act on."""
    if not account.active:
        raise AccountSuspended()


class Accounting(OrdersBase):
    """Client prices and the margin guard for orders of an account."""

    async def _priced(
        self, account: AccountRow, decision: Quote, *, placing: bool
    ) -> tuple[Quote, ClientPrice]:
        """`decision` priced for `account`; when `placing`, a margin breach is recorded and
        counted before `MarginBreached` is raised."""
        try:
            return price_order(price_list(account), account.margin_policy, decision)
        except MarginBreached as breach:
            if placing:
                await self._margin_breached(account, breach)
            raise

    async def _margin_breached(self, account: AccountRow, breach: MarginBreached) -> None:
        metrics.MARGIN_BREACHES.labels(account.name).inc()
        log.warning(
            "account %s: service %s refused, its price %s is below cost %s plus the margin",
            account.name, breach.service_id, breach.price_rate, breach.cost_rate,
        )  # fmt: skip
        # `price_order` always says both; a breach raised elsewhere is not placement's to record.
        assert breach.cost_rate is not None
        assert breach.price_rate is not None
        event = events.margin_breached(
            account, breach.service_id, breach.cost_rate, breach.price_rate, datetime.now(UTC)
        )
        async with self.store.transaction() as tx:
            await events.record(self.store, tx, [event])
