"""A Redis subscription that knows when Redis has stopped answering.

A subscriber only reads: nothing it does fails when Redis hangs, or when the network between
them drops packets without a reset (a failover behind a virtual address, a partition). Its
blocking read then waits for good, and the instance's live subscribers hear nothing more,
while its outbox tail (`gateway.workers.outbox_tail`) waits for an error that never comes. So:

- `subscribe` counts a subscription as made once Redis confirms it, not once the command is
  written: an event published after that reaches this subscriber;
- `messages` sends a ``PING`` after `ping_every` quiet seconds and raises `NoAnswer` when
  nothing, not even the pong, comes back within `answer_within` of it: a silent Redis is
  noticed within their sum, and the caller subscribes again (and tails the outbox meanwhile).

::

    async with redis.pubsub() as pubsub:
        await subscribe(pubsub, "ns:events", within=5)
        async for message in messages(pubsub, ping_every=5, answer_within=5):
            ...
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError


class NoAnswer(RedisConnectionError):
    """Redis did not answer in time: the subscription is taken for lost."""


async def subscribe(pubsub: PubSub, channel: str, *, within: float) -> None:
    """Subscribe `pubsub` to `channel` and wait until Redis confirms it (`NoAnswer` after
    `within` seconds)."""
    await pubsub.subscribe(channel)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (left := deadline - loop.time()) > 0:
        message = await pubsub.get_message(timeout=left)
        if message is not None and message.get("type") == "subscribe":
            return
    raise NoAnswer(f"Redis did not confirm the subscription within {within:g}s")


async def messages(
    pubsub: PubSub, *, ping_every: float, answer_within: float
) -> AsyncIterator[dict[str, Any]]:
    """The published messages of `pubsub`, pinging Redis whenever it has been quiet for
    `ping_every` seconds; `NoAnswer` when a ping gets nothing back within `answer_within`."""
    loop = asyncio.get_running_loop()
    heard = loop.time()
    pinged: float | None = None
    while True:
        due = heard + ping_every if pinged is None else pinged + answer_within
        message = await pubsub.get_message(timeout=max(due - loop.time(), 0.0))
        now = loop.time()
        if message is not None:
            heard, pinged = now, None  # anything Redis sends shows it is there
            if message.get("type") == "message":
                yield message
        elif pinged is not None:
            if now - pinged >= answer_within:
                raise NoAnswer(f"Redis did not answer a ping within {answer_within:g}s")
        elif now - heard >= ping_every:
            await pubsub.ping()
            pinged = now
