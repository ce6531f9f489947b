import asyncio

import pytest

from gateway.auth import Authenticator, Scope, bearer_token, parse_scopes
from gateway.store import ApiKeyRow, Store


def test_scopes_expand_to_what_they_imply() -> None:
    assert parse_scopes(["read"]) == {Scope.READ}
    assert parse_scopes(["order"]) == {Scope.READ, Scope.ORDER}
    assert parse_scopes(["ops"]) == {Scope.READ, Scope.OPS}
    assert parse_scopes(["order", "ops"]) == {Scope.READ, Scope.ORDER, Scope.OPS}
    assert parse_scopes(["ADMIN"]) == set(Scope)
    with pytest.raises(ValueError, match="known scopes: read, order, ops, admin"):
        parse_scopes(["root"])


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None),
     (None, None), ("", None)],
)  # fmt: skip
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_authenticator_maps_keys_to_principals(database_url: str) -> None:
    async with await Store.connect(database_url) as store:
        _, reader = await store.create_api_key("r", "acme", ["read"])
        row, admin = await store.create_api_key("a", "ops", ["admin"])
        clock = Clock()
        auth = Authenticator(store, ttl=30, clock=clock)
        who = await auth.authenticate(reader)
        assert who is not None
        assert who.client_id == "acme"
        assert who.order_owner == "acme"
        assert not who.can(Scope.ORDER)
        boss = await auth.authenticate(admin)
        assert boss is not None
        assert boss.admin
        assert boss.order_owner is None
        assert await auth.authenticate("smmgw_not-a-real-key-at-all") is None
        assert await auth.authenticate(None) is None
        assert await auth.authenticate("smmgw_\ud800_not_a_key_at_all") is None
        assert await auth.authenticate("smmgw_with\nnewline_0123456789") is None

        await store.revoke_api_key(row.id)
        assert await auth.authenticate(admin) is not None, "remembered for the ttl"
        clock.now += 31
        assert await auth.authenticate(admin) is None, "revocation holds once the ttl is over"


async def test_callers_of_one_key_share_its_lookup_and_forget_drops_one_under_way(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await Store.connect(database_url) as store:
        row, secret = await store.create_api_key("r", "acme", ["read"])
        lookups: list[str] = []
        started, release = asyncio.Event(), asyncio.Event()
        verify = store.verify_api_key

        async def counted(given: str) -> ApiKeyRow | None:
            lookups.append(given)
            found = await verify(given)
            started.set()
            await release.wait()
            return found

        monkeypatch.setattr(store, "verify_api_key", counted)
        auth = Authenticator(store, ttl=30, clock=Clock())
        callers = [asyncio.create_task(auth.authenticate(secret)) for _ in range(8)]
        await started.wait()
        release.set()
        found = await asyncio.gather(*callers)
        assert len(lookups) == 1, "one lookup for the eight callers"
        assert {p.key_id if p else None for p in found} == {row.id}

        auth.forget()
        started.clear()
        release.clear()
        under_way = asyncio.create_task(auth.authenticate(secret))
        await started.wait()
        await store.revoke_api_key(row.id)
        auth.forget()  # the key was revoked while its lookup was under way
        release.set()
        assert await under_way is not None, "read before the revocation"
        assert await auth.authenticate(secret) is None, "and not kept after `forget`"
        assert len(lookups) == 3
