"""The generated catalog: deterministic, realistic, complete, and fast at any size."""

from __future__ import annotations

from decimal import Decimal

from providers.models import ServiceType
from providers.simulator.catalog import HUGE_MAX, generate_services


def test_same_seed_gives_the_same_catalog() -> None:
    assert generate_services(seed=5) == generate_services(seed=5)


def test_default_catalog_has_about_300_services_with_unique_ids() -> None:
    services = generate_services(seed=5)
    assert len(services) == 300
    assert len({s.id for s in services}) == 300


def test_different_seeds_share_names_at_different_prices() -> None:
    first = {s.name: s.rate for s in generate_services(seed=1)}
    second = {s.name: s.rate for s in generate_services(seed=2)}
    shared = first.keys() & second.keys()
    assert len(shared) > 100
    assert sum(first[name] != second[name] for name in shared) > len(shared) // 2
    assert first.keys() != second.keys()


def test_different_seeds_start_ids_at_different_offsets() -> None:
    assert generate_services(seed=1)[0].id != generate_services(seed=2)[0].id


def test_every_service_type_is_present_from_50_services() -> None:
    wanted = set(ServiceType) - {ServiceType.UNKNOWN}
    for seed in range(5):
        assert {s.type for s in generate_services(seed=seed, size=50)} == wanted


def test_rates_are_positive_decimals_with_two_to_five_places() -> None:
    for service in generate_services(seed=3):
        assert isinstance(service.rate, Decimal)
        assert service.rate > 0
        exponent = service.rate.as_tuple().exponent
        assert isinstance(exponent, int)
        assert -5 <= exponent <= 0


def test_names_and_categories_look_like_a_real_panel() -> None:
    services = generate_services(seed=0, size=2000)
    names = {s.name for s in services}
    assert "Instagram Followers [Refill 30 Days] [Max 50K] | Instant Start" in names
    categories = {s.category for s in services}
    assert {"Instagram Followers", "TikTok Views", "Website Traffic"} <= categories


def test_some_likes_are_filed_under_followers() -> None:
    services = generate_services(seed=0, size=2000)
    assert any("Likes" in s.name and s.category.endswith("Followers") for s in services)


def test_some_services_have_a_max_beyond_32_bits() -> None:
    assert any(s.max == HUGE_MAX for s in generate_services(seed=0))


def test_min_never_exceeds_max() -> None:
    assert all(s.min <= s.max for s in generate_services(seed=9, size=1000))


def test_large_catalogs_repeat_services_from_other_servers() -> None:
    services = generate_services(seed=4, size=20_000)
    assert len(services) == 20_000
    assert len({s.id for s in services}) == 20_000
    assert any("[Server 2]" in s.name for s in services)


def test_small_catalogs_are_allowed() -> None:
    assert len(generate_services(seed=1, size=10)) == 10
    assert generate_services(seed=1, size=0) == []


def test_currency_scales_rates() -> None:
    usd = generate_services(seed=1, currency="USD")
    inr = generate_services(seed=1, currency="INR")
    assert [s.name for s in usd] == [s.name for s in inr]
    assert inr[0].rate > usd[0].rate * 50
