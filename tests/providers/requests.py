"""Valid `add` requests for any service, as a client of that service type would send."""

from providers.models import OrderRequest, Service, ServiceType

_LINK = "https://example.com/p/{n}"


def request_for(service: Service, n: int = 0, *, dripfeed: bool = False) -> OrderRequest:
    """A request the service accepts: fields of its type, quantity within its limits."""
    quantity = max(service.min, min(service.max, 100))
    link = _LINK.format(n=n)
    fields: dict[str, object] = {"link": link, "quantity": quantity}
    kind = service.type
    lines = "\n".join(f"line {n}-{i}" for i in range(quantity))
    handles = "\n".join(f"user_{n}_{i}" for i in range(quantity))
    extra: dict[ServiceType, dict[str, object]] = {
        ServiceType.PACKAGE: {"quantity": None},
        ServiceType.SEO: {"keywords": "shoes\nboots"},
        ServiceType.CUSTOM_COMMENTS: {"quantity": None, "comments": lines},
        ServiceType.CUSTOM_COMMENTS_PACKAGE: {"quantity": None, "comments": "nice\ngreat"},
        ServiceType.MENTIONS: {"quantity": None, "usernames": handles},
        ServiceType.MENTIONS_WITH_HASHTAGS: {"usernames": "a\nb", "hashtags": "#x\n#y"},
        ServiceType.MENTIONS_CUSTOM_LIST: {"quantity": None, "usernames": handles},
        ServiceType.MENTIONS_HASHTAG: {"hashtag": "sale"},
        ServiceType.MENTIONS_USER_FOLLOWERS: {"username": "someone"},
        ServiceType.MENTIONS_MEDIA_LIKERS: {"media": "https://example.com/p/media"},
        ServiceType.COMMENT_LIKES: {"username": "owner"},
        ServiceType.COMMENT_REPLIES: {"quantity": None, "username": "owner", "comments": "hi"},
        ServiceType.POLL: {"answer_number": 2},
        ServiceType.INVITES_FROM_GROUPS: {"groups": "group1\ngroup2"},
        ServiceType.WEB_TRAFFIC: {"country": "US", "device": "1", "type_of_traffic": "1"},
        ServiceType.SUBSCRIPTIONS: {
            "link": None, "quantity": None, "username": f"user{n}", "min": service.min,
            "max": max(service.min, min(service.max, 200)), "posts": 3,
        },
    }  # fmt: skip
    fields.update(extra.get(kind, {}))
    if dripfeed:
        fields.update(runs=2, interval=5)
    present = {k: v for k, v in fields.items() if v is not None}
    return OrderRequest(service=service.id, service_type=kind, **present)
