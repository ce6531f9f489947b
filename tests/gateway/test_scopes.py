"""The read-only operator scope: ops sees what operators see and places nothing."""

from __future__ import annotations

from gateway.auth import Principal, Scope, parse_scopes


def test_ops_is_read_only_and_admin_implies_it() -> None:
    assert parse_scopes(["ops"]) == {Scope.READ, Scope.OPS}
    assert parse_scopes([" OPS "]) == {Scope.READ, Scope.OPS}
    assert Scope.OPS in parse_scopes(["admin"])
    assert Scope.OPS not in parse_scopes(["order"])
    ops = Principal("dashboard", parse_scopes(["ops"]))
    assert ops.operator
    assert not ops.can(Scope.ORDER)
    assert not ops.admin
    assert ops.read_owner is None, "an operator reads every client's orders"
    assert ops.order_owner == "dashboard", "and acts on none but its own client's"
    client = Principal("shop", parse_scopes(["order"]))
    assert not client.operator
    assert client.read_owner == client.order_owner == "shop"
    assert Principal("root", parse_scopes(["admin"])).operator
