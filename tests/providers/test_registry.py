import pytest
from pydantic import SecretStr, ValidationError

from providers.profiles import GET_V1, RIZVI, SEED, get_profile
from providers.registry import ProviderConfig, UnknownKind, build
from providers.rizvi import RIZVI_URL
from providers.v2 import V2Provider


async def test_rizvi_preset_points_at_the_seed_panel() -> None:
    async with build(ProviderConfig(name="rizvi", kind="rizvi", key=SecretStr("k"))) as panel:
        assert isinstance(panel, V2Provider)
        assert panel.url == RIZVI_URL == "https://rizvismmpanels.com/api/v2"
        assert panel.profile is RIZVI


async def test_v2_kind_takes_a_profile() -> None:
    config = ProviderConfig(name="p", kind="v2", url="http://panel/api/v1", key=SecretStr("k"),
                            profile="get_v1", currency="eur")  # fmt: skip
    async with build(config) as panel:
        assert isinstance(panel, V2Provider)
        assert panel.profile is GET_V1
        assert panel.currency == "EUR"


async def test_default_profile_is_the_seed() -> None:
    async with build(ProviderConfig(name="p", url="http://x/api/v2", key=SecretStr("k"))) as p:
        assert isinstance(p, V2Provider)
        assert p.profile is SEED


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(UnknownKind, match="known kinds: rizvi, simulator, v2"):
        build(ProviderConfig(name="p", kind="smtp", key=SecretStr("k")))


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known profiles: get_v1, json, rizvi, seed, sloppy"):
        get_profile("weird")


def test_simulator_kind_needs_a_url() -> None:
    with pytest.raises(ValueError, match="url"):
        build(ProviderConfig(name="sim", kind="simulator", key=SecretStr("k")))


def test_key_never_prints() -> None:
    config = ProviderConfig(name="p", key=SecretStr("super-secret"))
    assert "super-secret" not in repr(config)
    assert "super-secret" not in str(config.model_dump())


def test_names_are_validated() -> None:
    with pytest.raises(ValidationError):
        ProviderConfig(name="bad name!", key=SecretStr("k"))
