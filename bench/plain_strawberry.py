"""The baseline of the uncached GraphQL row: plain Strawberry over the same catalog.

A minimal ``strawberry.Schema`` whose types mirror the catalog's fields (the same enums and
scalars, so the answers are the same JSON), with Strawberry's default execution and no
extensions, over plain objects made once from the same snapshot's groups. Its one resolver
pages the catalog as the gateway does (cheapest first, the same cursors), so both execute the
same query over the same data.

Also here: the in-process measurement of one execution (no HTTP) of a schema, for the gateway's
and the baseline's executor side by side.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from gateway.catalog import Group, Snapshot
from gateway.classify import Metric, Platform, RefillKind
from gateway.graphql import enums as _enums  # noqa: F401 (registers the enums' GraphQL names)
from gateway.graphql.pagination import decode_cursor, encode_cursor
from gateway.graphql.scalars import SCALARS, BigInt
from providers.models import ServiceType


@strawberry.type(name="Money")
class PlainMoney:
    amount: Decimal
    currency: str


@strawberry.type(name="Service")
class PlainService:
    id: int
    name: str
    platform: Platform
    metric: Metric
    type: ServiceType
    refill: bool
    refill_kind: RefillKind
    refill_days: int | None
    cancel: bool
    drip_feed: bool
    min: BigInt
    max: BigInt
    geo: str | None
    provider_count: int | None
    rate: PlainMoney


@strawberry.type(name="PageInfo")
class PlainPageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="ServiceEdge")
class PlainEdge:
    cursor: str
    node: PlainService


@strawberry.type(name="ServiceConnection")
class PlainConnection:
    edges: list[PlainEdge]
    nodes: list[PlainService]
    page_info: PlainPageInfo
    total_count: int | None


def plain_service(group: Group) -> PlainService:
    c = group.classification or group.cheapest.classification
    cheapest = group.cheapest
    return PlainService(
        id=group.id, name=group.name, platform=c.platform, metric=c.metric, type=group.type,
        refill=group.refill, refill_kind=c.refill.kind, refill_days=c.refill.days,
        cancel=group.cancel, drip_feed=group.dripfeed, min=BigInt(group.min),
        max=BigInt(group.max), geo=c.geo, provider_count=len(group.providers),
        rate=PlainMoney(amount=cheapest.rate, currency=cheapest.base_currency),
    )  # fmt: skip


def plain_schema(snapshot: Snapshot) -> strawberry.Schema:
    """The baseline schema over `snapshot`'s services, made into plain objects once."""
    ordered = sorted(snapshot.groups.values(), key=lambda g: (g.cheapest.rate, g.id))
    services = [plain_service(g) for g in ordered]

    @strawberry.type
    class Query:
        @strawberry.field
        def services(self, first: int = 50, after: str | None = None) -> PlainConnection:
            position = decode_cursor("svc", after)
            start = 0 if position is None else position + 1
            page = services[start : start + first]
            edges = [
                PlainEdge(cursor=encode_cursor("svc", start + i), node=node)
                for i, node in enumerate(page)
            ]
            return PlainConnection(
                edges=edges,
                nodes=page,
                page_info=PlainPageInfo(
                    has_next_page=start + first < len(services),
                    has_previous_page=start > 0,
                    start_cursor=edges[0].cursor if edges else None,
                    end_cursor=edges[-1].cursor if edges else None,
                ),
                total_count=len(services),
            )

    return strawberry.Schema(query=Query, config=strawberry.schema.config.StrawberryConfig(
        scalar_map=SCALARS
    ))  # fmt: skip


def plain_app(snapshot: Snapshot) -> Starlette:
    """Strawberry's own ASGI app serving the baseline schema at ``/graphql`` (in a Starlette
    app, which answers the server's lifespan messages)."""
    return Starlette(routes=[Route("/graphql", GraphQL(plain_schema(snapshot), graphql_ide=None))])


Execute = Callable[[int], Awaitable[Any]]


async def per_execution(execute: Execute, count: int) -> float:
    """Median CPU milliseconds of one `execute(n)` over `count` runs (after one to warm up).

    CPU time of this thread, not wall time: the gateway's executor rests between slices of a
    long answer (`gateway.graphql.yielding`) so that other requests get the loop, and the
    machine may be busy with other work."""
    await execute(-1)
    times = []
    for n in range(count):
        started = time.thread_time()
        await execute(n)
        times.append(time.thread_time() - started)
    return statistics.median(times) * 1000
