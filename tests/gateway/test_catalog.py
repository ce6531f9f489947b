from decimal import Decimal

from gateway.catalog import group_title
from gateway.classify import classify
from gateway.config import GroupSection
from providers.models import ServiceType
from tests.gateway.catalog_helpers import service, snapshot


def test_equivalent_services_of_different_panels_share_a_group() -> None:
    snap = snapshot(
        {
            "a": [service("1", "Instagram Followers [R30]", "1.20")],
            "b": [service("77", "IG Followers | 30 Days Refill | Instant", "0.95")],
            "c": [service("x9", "Instagram Likes [R30]", "0.10")],
        }
    )
    followers = [g for g in snap.groups.values() if len(g.members) == 2]
    assert len(followers) == 1
    group = followers[0]
    assert [m.provider for m in group.members] == ["b", "a"], "cheapest first"
    assert group.name == "Instagram Followers - Refill 30d"
    assert group.cheapest.rate == Decimal("0.95")
    assert len(snap.groups) == 2


def test_every_service_is_in_exactly_one_group() -> None:
    snap = snapshot(
        {
            "a": [service(str(i), f"TikTok Views {i}", "0.01") for i in range(5)]
            + [service("u", "Mystery product", "3")],
            "b": [service("1", "TikTok Views", "0.02")],
        }
    )
    seen = [m.id for g in snap.groups.values() for m in g.members]
    assert sorted(seen) == sorted(o.id for o in snap.offers.values())
    assert set(snap.group_of) == {o.id for o in snap.offers.values()}


def test_unknown_services_stay_alone() -> None:
    snap = snapshot({"a": [service("1", "Mystery", "1")], "b": [service("2", "Mystery", "1")]})
    assert len(snap.groups) == 2
    assert all(g.key.startswith("single:") for g in snap.groups.values())


def test_different_refill_or_geo_or_type_are_not_grouped() -> None:
    snap = snapshot(
        {
            "a": [
                service("1", "Instagram Followers [R30]", "1"),
                service("2", "Instagram Followers [No Refill]", "1"),
                service("3", "Instagram Followers [R30] [USA]", "1"),
                service("4", "Instagram Comments", "1", kind=ServiceType.CUSTOM_COMMENTS),
                service("5", "Instagram Comments", "1"),
            ]
        }
    )
    assert len(snap.groups) == 5


def test_explicit_groups_win_and_keep_their_cap() -> None:
    explicit = [
        GroupSection(
            name="IG followers premium", members=["a:1", "b:2", "b:404"], max_rate=Decimal("2")
        )
    ]
    snap = snapshot(
        {
            "a": [service("1", "Instagram Followers [R30]", "1.5")],
            "b": [
                service("2", "Followers HQ", "1.0"),
                service("3", "Instagram Followers [R30]", "1"),
            ],
        },
        explicit=explicit,
    )
    named = next(g for g in snap.groups.values() if g.explicit)
    assert named.name == "IG followers premium"
    assert [m.key for m in named.members] == [("b", "2"), ("a", "1")]
    assert named.max_rate == Decimal("2")
    others = [g for g in snap.groups.values() if not g.explicit]
    assert [m.key for g in others for m in g.members] == [("b", "3")]


def test_rates_convert_to_the_base_currency_exactly() -> None:
    snap = snapshot(
        {"eu": [service("1", "YouTube Views", "0.90", currency="EUR")]},
        to_base={"EUR": Decimal("1.08")},
    )
    offer = snap.offers[("eu", "1")]
    assert offer.rate == Decimal("0.9720")
    assert offer.service.rate.amount == Decimal("0.90")


def test_panel_refill_flag_splits_otherwise_equal_services() -> None:
    snap = snapshot(
        {
            "a": [service("1", "Spotify Plays", "1", refill=True)],
            "b": [service("1", "Spotify Plays", "1", refill=False)],
        }
    )
    assert len(snap.groups) == 2


def test_group_limits_and_flags_span_members() -> None:
    snap = snapshot(
        {
            "a": [service("1", "Spotify Plays", "1", min=100, max=1000, refill=True)],
            "b": [
                service("1", "Spotify Plays", "2", min=500, max=50_000, refill=True, cancel=True)
            ],
        }
    )
    (group,) = snap.groups.values()
    assert (group.min, group.max, group.refill, group.cancel) == (100, 50_000, True, True)
    assert group.providers == frozenset({"a", "b"})


def test_group_titles_read_well() -> None:
    assert group_title(classify("TikTok Likes [Lifetime Refill] [USA]")) == (
        "TikTok Likes - Lifetime refill - US"
    )
