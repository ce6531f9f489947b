"""`repeating`: a step beside a block of work, that stops with the block even when a
cancellation is swallowed inside the step (as the Redis client does at times)."""

from __future__ import annotations

import asyncio

import pytest

from gateway.repeating import repeating


async def test_the_step_repeats_while_the_block_runs_and_stops_with_it() -> None:
    steps = 0
    third = asyncio.Event()

    async def step() -> None:
        nonlocal steps
        steps += 1
        if steps == 3:
            third.set()

    async with repeating(0.001, step):
        await third.wait()
    after = steps
    await asyncio.sleep(0.01)
    assert steps == after, "no step after the block"


async def test_a_swallowed_cancellation_does_not_keep_the_loop_going() -> None:
    inside, swallowed = asyncio.Event(), asyncio.Event()
    release = asyncio.Event()
    steps = 0

    async def step() -> None:
        # What redis-py does at times: the CancelledError meant for the task is caught, and
        # the command completes as if nothing happened.
        nonlocal steps
        steps += 1
        inside.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            swallowed.set()

    block = asyncio.create_task(asyncio.sleep(0))

    async def work() -> None:
        async with repeating(0.001, step):
            await inside.wait()
            await block

    await asyncio.wait_for(work(), 10)
    assert swallowed.is_set(), "the step's cancellation was swallowed"
    assert steps == 1, "the loop stopped after the swallowed cancellation"


async def test_a_cancelled_caller_stays_cancelled() -> None:
    started = asyncio.Event()

    async def step() -> None:
        return None

    async def work() -> None:
        async with repeating(0.001, step):
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(work())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_error_of_the_step_is_raised_when_the_block_ends() -> None:
    failed = asyncio.Event()

    async def step() -> None:
        failed.set()
        raise LookupError("no such job")

    with pytest.raises(LookupError, match="no such job"):
        async with repeating(0.001, step):
            await failed.wait()
