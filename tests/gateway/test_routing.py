from decimal import Decimal

from gateway.routing import Exclusion, Need, ProviderState, quote
from providers.models import Money, OrderRequest, ServiceType
from tests.gateway.catalog_helpers import service, snapshot

SNAP = snapshot(
    {
        "cheap": [service("1", "Instagram Followers [R30]", "0.50", min=100, max=5000)],
        "mid": [service("2", "Instagram Followers [R30]", "0.80", refill=True, cancel=True,
                        dripfeed=True)],
        "pricey": [service("3", "Instagram Followers [R30]", "1.00", currency="EUR",
                           max=1_000_000, refill=True)],
    },
    to_base={"EUR": Decimal("1.10")},
)  # fmt: skip
GROUP = next(iter(SNAP.groups.values()))
ALL_UP = {name: ProviderState() for name in ("cheap", "mid", "pricey")}
SUBS = ServiceType.SUBSCRIPTIONS


def order(quantity: int, **extra: int) -> OrderRequest:
    return OrderRequest(service="g", link="https://instagram.com/x", quantity=quantity, **extra)


def test_cheapest_eligible_member_is_chosen_with_exact_costs() -> None:
    result = quote(GROUP, order(1000), ALL_UP)
    assert result.chosen is not None
    assert result.chosen.offer.provider == "cheap"
    assert result.chosen.cost == Money(amount=Decimal("0.5"), currency="USD")
    assert [c.offer.provider for c in result.candidates] == ["cheap", "mid", "pricey"]
    pricey = result.candidates[2]
    assert pricey.provider_cost == Money(amount=Decimal("1"), currency="EUR")
    assert pricey.cost.amount == Decimal("1.10")


def test_quantity_outside_limits_is_explained() -> None:
    result = quote(GROUP, order(50_000), ALL_UP)
    assert [c.offer.provider for c in result.candidates] == ["pricey"]
    reasons = {e.offer.provider: e.reason for e in result.excluded}
    assert reasons == {"cheap": Exclusion.QUANTITY_ABOVE_MAX, "mid": Exclusion.QUANTITY_ABOVE_MAX}
    small = quote(GROUP, order(50), ALL_UP)
    assert {e.offer.provider: e.reason for e in small.excluded} == {
        "cheap": Exclusion.QUANTITY_BELOW_MIN
    }


def test_a_subscription_min_below_a_members_min_leaves_that_member_out() -> None:
    snap = snapshot(
        {
            "strict": [service("1", "Instagram Auto Likes", "0.50", kind=SUBS, min=100)],
            "lenient": [service("2", "Instagram Auto Likes", "0.80", kind=SUBS, min=10)],
        }
    )
    group = next(iter(snap.groups.values()))
    states = {name: ProviderState() for name in ("strict", "lenient")}

    def subscription(low: int, high: int) -> OrderRequest:
        return OrderRequest(service="g", service_type=SUBS, username="x", min=low, max=high)

    result = quote(group, subscription(50, 500), states)
    assert [c.offer.provider for c in result.candidates] == ["lenient"]
    assert [(e.offer.provider, e.reason, e.detail) for e in result.excluded] == [
        ("strict", Exclusion.QUANTITY_BELOW_MIN, "min 50 < 100")
    ]
    both = quote(group, subscription(100, 500), states)
    assert [c.offer.provider for c in both.candidates] == ["strict", "lenient"]


def test_needs_refill_cancel_and_dripfeed() -> None:
    refill = quote(GROUP, order(1000), ALL_UP, needs=frozenset({Need.REFILL}))
    assert [c.offer.provider for c in refill.candidates] == ["mid", "pricey"]
    cancel = quote(GROUP, order(1000), ALL_UP, needs=frozenset({Need.REFILL, Need.CANCEL}))
    assert [c.offer.provider for c in cancel.candidates] == ["mid"]
    drip = quote(GROUP, order(1000, runs=2, interval=10), ALL_UP)
    assert [c.offer.provider for c in drip.candidates] == ["cheap", "mid", "pricey"], (
        "an unknown drip-feed flag is no refusal"
    )


def test_unhealthy_disabled_and_unfunded_providers_are_skipped() -> None:
    states = {
        "cheap": ProviderState(available=False),
        "mid": ProviderState(balance=Money(amount="0.79", currency="USD")),
        "pricey": ProviderState(enabled=False),
    }
    result = quote(GROUP, order(1000), states)
    assert result.chosen is None
    assert {e.offer.provider: e.reason for e in result.excluded} == {
        "cheap": Exclusion.PROVIDER_COOLDOWN,
        "mid": Exclusion.INSUFFICIENT_BALANCE,
        "pricey": Exclusion.PROVIDER_DISABLED,
    }


def test_ties_go_to_the_lower_priority() -> None:
    snap = snapshot(
        {"a": [service("1", "YouTube Views", "1")], "b": [service("1", "YouTube Views", "1")]}
    )
    group = next(iter(snap.groups.values()))
    states = {"a": ProviderState(priority=5), "b": ProviderState(priority=1)}
    request = OrderRequest(service="g", link="https://youtu.be/x", quantity=100)
    assert [c.offer.provider for c in quote(group, request, states).candidates] == ["b", "a"]


def test_rate_cap_excludes_expensive_members() -> None:
    from dataclasses import replace

    capped = replace(GROUP, max_rate=Decimal("0.9"))
    result = quote(capped, order(1000), ALL_UP)
    assert [c.offer.provider for c in result.candidates] == ["cheap", "mid"]
    assert result.excluded[0].reason is Exclusion.ABOVE_RATE_CAP
