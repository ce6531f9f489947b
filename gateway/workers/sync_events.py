"""The outbox rows of a status-sync write: each changed order's event, built cheaply.

``order_payload(before, after)`` is ``events.order_event(before, after).payload()`` without the
pydantic model in between: the same id, type and payload, key for key (the tests compare the
two). A poll writes one such event per change, so at a hundred orders a call the model's
validation and JSON dump were a large part of a sync's time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gateway import events
from gateway.store import OrderRow

Announced = tuple[str, str, dict[str, Any]]
"""An outbox row to write: event id, type, JSON-safe payload."""

_ZERO = timedelta(0)


def json_time(at: datetime) -> str | None:
    """`at` as pydantic writes a UTC datetime in JSON (``...T05:20:00.000400Z``); None for a
    time in another zone (left to pydantic). The text of the last object given is kept: a
    write's changed rows share one (the time of the write)."""
    global _last_time
    last, text = _last_time
    if at is last:
        return text
    text = None if at.utcoffset() != _ZERO else at.replace(tzinfo=None).isoformat() + "Z"
    _last_time = at, text
    return text


_last_time: tuple[object, str | None] = (object(), None)


def announced(event: events.Event) -> Announced:
    return event.id, event.type, event.payload()


def order_payload(before: OrderRow, after: OrderRow) -> Announced | None:
    """The event of the change from `before` to `after`, or None when nothing visible changed."""
    kind = events.order_event_type(before, after)
    if kind is None:
        return None
    created = json_time(after.updated_at)
    if created is None:
        event = events.order_event(before, after)
        return None if event is None else announced(event)
    event_id = f"evt_order_{after.id}_v{after.version}_{kind.split('.')[1]}"
    payload = {
        "id": event_id,
        "type": kind,
        "version": events.PAYLOAD_VERSION,
        "created_at": created,
        "data": {"order": events.order_data(after)},
    }
    return event_id, kind, payload
