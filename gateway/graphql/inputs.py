"""Input objects for quoting and placing orders."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import strawberry

from gateway.graphql.scalars import BigInt
from gateway.routing import Need
from gateway.store.rows import RoutingPolicy


@strawberry.input(
    description=(
        "The fields some service types take beyond link and quantity (drip-feed runs, custom "
        "comments, mentions, polls, web traffic, subscriptions). Give only what the service's "
        "type asks for; anything else is refused."
    )
)
class OrderDetailsInput:
    runs: int | None = strawberry.field(default=None, description="Drip-feed: how many runs.")
    interval: int | None = strawberry.field(
        default=None, description="Drip-feed: minutes between runs."
    )
    comments: list[str] | None = strawberry.field(default=None, description="Custom comments.")
    usernames: list[str] | None = strawberry.field(default=None, description="Usernames.")
    hashtags: list[str] | None = strawberry.field(default=None, description="Hashtags.")
    keywords: list[str] | None = strawberry.field(default=None, description="SEO keywords.")
    groups: list[str] | None = strawberry.field(default=None, description="Groups to invite from.")
    hashtag: str | None = strawberry.field(default=None, description="One hashtag.")
    username: str | None = strawberry.field(default=None, description="One username.")
    media: str | None = strawberry.field(default=None, description="A media URL.")
    answer_number: int | None = strawberry.field(default=None, description="Poll answer number.")
    country: str | None = strawberry.field(default=None, description="Web traffic: country.")
    device: str | None = strawberry.field(default=None, description="Web traffic: device.")
    type_of_traffic: str | None = strawberry.field(
        default=None, description="Web traffic: kind of traffic."
    )
    google_keyword: str | None = strawberry.field(
        default=None, description="Web traffic: Google keyword."
    )
    referring_url: str | None = strawberry.field(
        default=None, description="Web traffic: referring URL."
    )
    min: int | None = strawberry.field(default=None, description="Subscriptions: least per post.")
    max: int | None = strawberry.field(default=None, description="Subscriptions: most per post.")
    posts: int | None = strawberry.field(
        default=None, description="Subscriptions: how many new posts."
    )
    old_posts: int | None = strawberry.field(
        default=None, description="Subscriptions: how many existing posts."
    )
    delay: int | None = strawberry.field(
        default=None, description="Subscriptions: minutes of delay."
    )
    expiry: str | None = strawberry.field(
        default=None, description="Subscriptions: end date, d/m/Y."
    )


@strawberry.input(description="An order to quote or place.")
class OrderInput:
    service_id: int = strawberry.field(description="The unified service's id.")
    link: str | None = strawberry.field(default=None, description="The link to deliver to.")
    quantity: BigInt | None = strawberry.field(default=None, description="How many units.")
    needs: list[Need] | None = strawberry.field(
        default=None, description="Capabilities the chosen provider must offer."
    )
    details: OrderDetailsInput | None = strawberry.field(
        default=None, description="Fields of other service types."
    )
    policy: RoutingPolicy | None = strawberry.field(
        default=None,
        description=(
            "How to rank the providers able to take it; default: the key's, the account's, "
            "the service's or the gateway's policy."
        ),
    )
    split: bool | None = strawberry.field(
        default=None,
        description=(
            "Share the quantity over several providers: one order made of child orders (a "
            "quantity above every provider's maximum is split without asking)."
        ),
    )

    def fields(self) -> dict[str, Any]:
        """The order's fields as `Orders.place` takes them."""
        found: dict[str, Any] = {"link": self.link, "quantity": self.quantity}
        if self.details is not None:
            found.update(asdict(self.details))
        return {k: v for k, v in found.items() if v is not None}

    def need_set(self) -> frozenset[Need]:
        return frozenset(self.needs or ())

    def policy_name(self) -> str | None:
        """The routing policy asked for, as the core takes it (None: not asked)."""
        return None if self.policy is None else self.policy.value
