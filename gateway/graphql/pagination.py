"""Relay-style connections: ``first``/``after`` with opaque cursors and a capped page size.

Cursors are opaque to clients (base64 of ``kind:value``): a position in a sorted catalog list, or
the id of the last order or price change seen, which stays exact while new rows arrive.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from functools import lru_cache
from typing import Generic, TypeVar

import strawberry

from gateway.graphql.errors import BadInput

T = TypeVar("T")

DEFAULT_PAGE = 50
MAX_PAGE = 500
_MAX_VALUE = 2**63 - 1
"""The largest position or id a cursor holds: the ledger's ids are signed 64-bit integers."""


def page_size(first: int | None) -> int:
    """`first` checked against the cap: default 50, at most 500."""
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadInput(f"first must be between 0 and {MAX_PAGE}", field="first")
    return first


@lru_cache(maxsize=65536)
def encode_cursor(kind: str, value: int) -> str:
    """The cursor of position or id `value` in a list of `kind` (remembered: a page of the
    catalog asks for the same few hundred again and again)."""
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    """The value of a cursor made by `encode_cursor(kind, ...)`; ``BadInput`` for anything else.

    Only what `encode_cursor` makes is taken: ASCII digits up to a 64-bit id. ``int`` alone would
    also read ``-5`` (a catalog position counted from the end), ``+5``, `` 5`` or other scripts'
    digits, and a number no database column holds.
    """
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        found, _, value = text.partition(":")
        if found != kind or not (value.isascii() and value.isdigit()):
            raise ValueError(text)
        number = int(value)
        if number > _MAX_VALUE:
            raise ValueError(text)
        return number
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadInput("after is not a cursor of this list", field="after") from None


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(description="The first item's cursor.")
    end_cursor: str | None = strawberry.field(
        description="The last item's cursor: pass it as `after` for the next page."
    )


@strawberry.type(description="An item of a list and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, Relay style.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items with their cursors.")
    nodes: list[T] = strawberry.field(description="The items, without cursors.")
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")
    total_count: int | None = strawberry.field(
        description="How many items the whole list holds, where that is known cheaply."
    )


def connection(
    items: Sequence[T],
    cursors: Sequence[str],
    *,
    has_next: bool,
    has_previous: bool,
    total: int | None = None,
) -> Connection[T]:
    """A page of `items` with their `cursors`."""
    edges = [Edge(cursor=c, node=item) for c, item in zip(cursors, items, strict=True)]
    return Connection(
        edges=edges,
        nodes=list(items),
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
