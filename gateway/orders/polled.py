"""A panel's status answer as ledger columns: the one mapping every reader of statuses uses."""

from __future__ import annotations

from typing import Any

from gateway.store import OrderRow
from providers.models import OrderStatus


def status_values(row: OrderRow, answer: OrderStatus) -> dict[str, Any]:
    """The order columns `answer` sets; a charge the panel leaves out keeps the known one."""
    return {
        "state": answer.state.value,
        "status_raw": answer.raw_status,
        "start_count": answer.start_count,
        "remains": answer.remains,
        "charge": answer.charge.amount if answer.charge else row.charge,
    }
