"""Background work stops for sure, even when a cancellation is swallowed inside it (as the
Redis client does at times): `repeating` beside a block, `cancel_and_wait` for a loop."""

from __future__ import annotations

import asyncio

import pytest

from gateway.stopping import cancel_and_wait, repeating


async def test_the_step_repeats_while_the_block_runs_and_stops_with_it() -> None:
    steps = 0
    third = asyncio.Event()

    async def step() -> None:
        nonlocal steps
        steps += 1
        if steps == 3:
            third.set()

    async with repeating(0.001, step, name="probe"):
        await third.wait()
        assert any(t.get_name() == "probe" for t in asyncio.all_tasks())
    # The loop has ended by the time the block is left: no step can come after it.
    assert not any(t.get_name() == "probe" for t in asyncio.all_tasks())


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


async def test_a_loop_that_swallows_its_cancellation_is_cancelled_again_until_it_stops() -> None:
    swallowed = 0
    running = asyncio.Event()

    async def listen() -> None:
        # Two cancellations lost inside "the client", as a listener's loop may lose them.
        nonlocal swallowed
        while True:
            running.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed == 2:
                    raise
                swallowed += 1

    task = asyncio.create_task(listen())
    await running.wait()
    await asyncio.wait_for(cancel_and_wait(task, again_after=0.001), 10)
    assert task.cancelled()
    assert swallowed == 2


async def test_cancel_and_wait_takes_a_task_that_failed_on_its_way_out() -> None:
    running = asyncio.Event()

    async def failing() -> None:
        running.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise OSError("connection reset while closing") from None

    task = asyncio.create_task(failing())
    await running.wait()
    await cancel_and_wait(task)
    assert isinstance(task.exception(), OSError)
