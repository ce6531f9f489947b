"""Text fields take what people write (Persian with its non-joiner, emoji sequences, flags, the
latest emoji) and refuse what hides or reorders text (bidi overrides, zero-width spaces,
controls, private use); links and usernames stay strict; a subscription's expiry is a real day
to come, a drip-feed's interval at most a year."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from providers.models import OrderRequest, ServiceType

LINK = "https://instagram.com/p/x"


def comments(text: str) -> OrderRequest:
    return OrderRequest(
        service="1", service_type=ServiceType.CUSTOM_COMMENTS, link=LINK, comments=[text, "ok"]
    )


@pytest.mark.parametrize(
    "text",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, with a non-joiner
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a family: joined by zero-width joiners
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # the rainbow flag
        "\U0001fa77",  # pink heart (Unicode 15): newer than some Pythons' tables
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England
        "\u05e9\u05dc\u05d5\u05dd\u200f!",  # Hebrew with a right-to-left mark
    ],
)
def test_what_people_write_is_taken(text: str) -> None:
    assert comments(text).comments == f"{text}\nok"


@pytest.mark.parametrize(
    "text",
    [
        "nice\u202eevil",  # a right-to-left override
        "nice\u2066isolated\u2069",  # a bidi isolate
        "zero\u200bwidth",  # a zero-width space
        "\ufeffbom",
        "bell\x07",
        "private\ue000use",
        "non\ufffecharacter",
        "undecodable\ufffd",
    ],
)
def test_what_hides_or_reorders_text_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="Incorrect text"):
        comments(text)


def test_links_take_no_joiners_nor_unassigned_characters() -> None:
    for link in (f"{LINK}\u200d", f"{LINK}\U0001fa77", f"{LINK}\u200c"):
        with pytest.raises(ValidationError):
            OrderRequest(service="1", link=link, quantity=100)


def subscription(**fields: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {"service": "1", "service_type": ServiceType.SUBSCRIPTIONS, "username": "someone",
         "min": 100, "max": 200, **fields}
    )  # fmt: skip


def test_a_subscription_expires_on_a_real_day_to_come() -> None:
    assert subscription(expiry="31/12/2999").expiry == "31/12/2999"
    for day in ("31/02/2999", "00/01/2999", "2999-12-31", "01/01/2020"):
        with pytest.raises(ValidationError, match="expiry"):
            subscription(expiry=day)


def test_a_username_is_one_word() -> None:
    with pytest.raises(ValidationError, match="Incorrect username"):
        subscription(username="two words")
    with pytest.raises(ValidationError, match="Incorrect username"):
        OrderRequest(service="1", service_type=ServiceType.MENTIONS_CUSTOM_LIST, link=LINK,
                     usernames=["fine", "not fine"])  # fmt: skip
    listed = OrderRequest(service="1", service_type=ServiceType.MENTIONS_CUSTOM_LIST, link=LINK,
                          usernames=["  @fine ", "@also_fine"])  # fmt: skip
    assert listed.units == 2


def test_a_drip_feed_interval_is_at_most_a_year() -> None:
    taken = OrderRequest(service="1", link=LINK, quantity=100, runs=2, interval=366 * 24 * 60)
    assert taken.interval == 366 * 24 * 60
    with pytest.raises(ValidationError, match="interval"):
        OrderRequest(service="1", link=LINK, quantity=100, runs=2, interval=10**17)
