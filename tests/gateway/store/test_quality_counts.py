"""The units a finished order counts in the quality book: read straight from the stored request
in its usual shape, the same as validating it again gives (which the rest still take)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.store import OrderRow
from gateway.store.quality_counts import _quantity
from providers.models import OrderRequest

AT = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
LINK = "https://instagram.com/p/abc"


def stored(**fields: Any) -> dict[str, Any]:
    """A request as placement stores it: validated, dumped as JSON without empty fields."""
    return OrderRequest(service="1", **fields).model_dump(mode="json", exclude_none=True)


REQUESTS = [
    stored(link=LINK, quantity=1000),
    stored(link=LINK, quantity=250, runs=4, interval=30),
    stored(service_type="Package", link=LINK),
    stored(service_type="Custom Comments", link=LINK, comments="nice\ngreat\n\n  \nwow"),
    stored(service_type="Mentions Custom List", link=LINK, usernames=["ann", "bob"]),
    stored(service_type="SEO", link=LINK, quantity=100, keywords="a\nb"),
    stored(service_type="Poll", link=LINK, quantity=50, answer_number=2),
    stored(service_type="Comment Replies", link=LINK, username="ann", comments="hi\nyo"),
    stored(service_type="Subscriptions", username="ann", min=100, max=200, posts=5),
    # Shapes that are not placement's own: the validating path reads them.
    {"service": "1", "link": LINK, "quantity": "300"},
    {"service": "1", "link": LINK, "quantity": 300, "runs": "2", "interval": 10},
    {"service": "1", "link": LINK, "quantity": 0},
    {"service": "1", "link": LINK, "quantity": -5},
    {"service": "1", "link": LINK, "quantity": True},
    {"service": "1", "link": LINK, "quantity": 10, "runs": 0, "interval": 10},
    {"service": "1", "link": "not a link", "quantity": "x"},
    {"service": "1"},
]


def row(request: dict[str, Any]) -> OrderRow:
    return OrderRow(
        id=1, client_id="c", request=request, state="COMPLETED", version=2, created_at=AT,
        updated_at=AT, provider="alpha", sent_at=AT,
    )  # fmt: skip


def validated(order: OrderRow) -> int | None:
    """The units as the stored request validated again says them."""
    try:
        request = order.order_request()
    except ValueError:
        return None
    if request.quantity is None and not request.comments and not request.usernames:
        return None
    return request.units * (request.runs or 1)


@pytest.mark.parametrize("request_", REQUESTS, ids=range(len(REQUESTS)))
def test_the_units_read_are_the_units_validating_again_gives(request_: dict[str, Any]) -> None:
    order = row(request_)
    assert _quantity(order) == validated(order)


def test_a_drip_feed_counts_every_run() -> None:
    assert _quantity(row(stored(link=LINK, quantity=250, runs=4, interval=30))) == 1000
    assert _quantity(row(stored(service_type="Package", link=LINK))) is None
