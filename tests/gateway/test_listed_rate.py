"""The rate a group is listed at: the most an order within its members' joint range costs,
routed to the cheapest member that takes its quantity."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.catalog import Offer, classify_service, listed_rate
from tests.gateway.catalog_helpers import service


def offer(rate: str, low: int, high: int, n: int = 0) -> Offer:
    made = service(f"s{n}", "Instagram Followers", rate, min=low, max=high)
    return Offer(n, f"p{n}", made, Decimal(1), "USD", classify_service(made))


def test_a_cheap_member_that_takes_only_larger_orders_does_not_set_the_rate() -> None:
    assert listed_rate([offer("4", 100, 10_000), offer("7", 50, 10_000, 1)]) == Decimal(7)
    assert listed_rate([offer("4", 10, 10_000), offer("7", 50, 500, 1)]) == Decimal(4)
    # Above a cheap member's maximum, the dearer one takes the larger orders.
    assert listed_rate([offer("4", 10, 1000), offer("7", 10, 5000, 1)]) == Decimal(7)
    assert listed_rate([offer("5", 10, 10)]) == Decimal(5)


members = st.lists(
    st.tuples(st.integers(1, 90), st.integers(1, 60), st.integers(0, 60)).map(
        lambda t: (str(t[0]), t[1], t[1] + t[2])
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(members)
def test_no_quantity_in_range_costs_more_and_one_costs_as_much(
    specs: list[tuple[str, int, int]],
) -> None:
    offers = [offer(rate, low, high, n) for n, (rate, low, high) in enumerate(specs)]
    listed = listed_rate(offers)
    low = min(o.service.min for o in offers)
    high = max(o.service.max for o in offers)
    costs = [
        min(o.rate for o in offers if o.service.min <= q <= o.service.max)
        for q in range(low, high + 1)
        if any(o.service.min <= q <= o.service.max for o in offers)
    ]
    assert max(costs) == listed
