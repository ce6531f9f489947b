"""The quality buckets: what each provider service delivered, one row per UTC day.

Declared on the ledger's ``metadata`` (so the migrations test and the test fixtures see it) in a
module of its own, next to the queries that fill it (``gateway.store.quality``). Every column
but the key is a running sum, so concurrent writers only ever add to a row and any window of
days is the sum of its rows.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, String, Table

from gateway.store.tables import metadata

COUNTS = (
    "finished", "completed", "partial", "canceled", "failed",
    "units_orders", "units_ordered", "units_delivered",
    "start_ms", "starts", "complete_ms_per_k", "completes",
    "refills_requested", "refills_finished", "refills_completed",
    "charges", "charged_micros", "cost_micros",
)  # fmt: skip
"""The summed columns, in the order of the table.

``finished``: orders a provider accepted that reached a final state; of them ``completed``,
``partial`` and ``canceled`` (canceled or refunded). ``failed``: orders that ended ``FAILED``
at the provider (refused, never placed). ``units_*``: over the finished orders whose delivery
is known (``units_orders`` of them), the quantity ordered and the quantity delivered
(quantity - remains). ``start_ms`` over ``starts``: milliseconds from sending to the first
status showing progress. ``complete_ms_per_k`` over ``completes``: milliseconds from sending
to completion per 1,000 units, summed over completed orders. ``refills_requested``: refills a
provider accepted; ``refills_finished`` of them ended, ``refills_completed`` successfully.
``charged_micros`` over ``cost_micros``: over the finished orders whose final charge is known
in the provider cost's currency (``charges`` of them), the charges and the quoted provider
costs in millionths of that currency (a provider service has one), so their ratio is what the
panel keeps of a quote: below 1 when it refunds the undelivered part of a partial.
"""

provider_quality = Table(
    "provider_quality",
    metadata,
    Column("provider", String(100), primary_key=True),
    # "" for orders recorded without a provider service id.
    Column("provider_service_id", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in COUNTS),
    # The window's reads: every provider's rows of the last days.
    Index(None, "day"),
)
