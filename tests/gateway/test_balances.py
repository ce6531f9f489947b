from decimal import Decimal

from gateway.balances import BalanceBook
from gateway.cache import MemoryCache
from gateway.config import ConfigError
from providers.simulator import simulator
from providers.v2 import V2Provider


def usd_only(currency: str) -> Decimal:
    if currency != "USD":
        raise ConfigError(f"no [currency_rates] entry for {currency}")
    return Decimal(1)


async def test_a_balance_in_an_unknown_currency_is_shown_not_summed() -> None:
    with (
        simulator(seed=1, services=20, currency="USD", balance="10") as dollars,
        simulator(seed=2, services=20, currency="JPY", balance="5000") as yen,
    ):
        async with (
            V2Provider("us", dollars.url, dollars.key or "") as us,
            V2Provider("jp", yen.url, yen.key or "") as jp,
        ):
            book = BalanceBook({"us": us, "jp": jp}, MemoryCache(), base_currency="USD",
                               to_base=usd_only)  # fmt: skip
            found = await book.fetch()
    by_name = {b.provider: b for b in found.providers}
    assert by_name["jp"].balance is not None
    assert by_name["jp"].balance.currency == "JPY"
    assert by_name["jp"].base is None
    assert by_name["jp"].error is not None
    assert "JPY" in by_name["jp"].error
    assert found.total.amount == Decimal(10)
