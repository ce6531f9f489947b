"""Write turns (`gateway.store.sqlite_turns`): first come, first served, and never stuck on a
holder whose transaction ended without giving its turn back."""

from __future__ import annotations

import asyncio

import pytest

from gateway.store import sqlite_turns
from gateway.store.sqlite_turns import WriteTurn, WriteTurns


class Writer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.open = True

    def writing(self) -> bool:
        return self.open


async def test_writers_are_served_in_arrival_order() -> None:
    turn = WriteTurn()
    first, *queued = [Writer(name) for name in "abcd"]
    await turn.take(first)
    served: list[str] = []

    async def write(writer: Writer) -> None:
        await turn.take(writer)
        served.append(writer.name)
        await asyncio.sleep(0)  # others run while this writer holds the turn
        turn.give_back(writer)

    tasks = []
    for writer in queued:
        tasks.append(asyncio.create_task(write(writer)))
        await asyncio.sleep(0)  # each is waiting before the next arrives
    assert served == []
    turn.give_back(first)
    await asyncio.gather(*tasks)
    assert served == ["b", "c", "d"]


async def test_giving_back_a_turn_not_held_changes_nothing() -> None:
    turn = WriteTurn()
    holder, other = Writer("holder"), Writer("other")
    await turn.take(holder)
    turn.give_back(other)
    assert turn.held_by(holder)
    turn.give_back(holder)
    assert not turn.held_by(holder)


async def test_a_holder_whose_transaction_ended_silently_loses_its_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sqlite_turns, "RECHECK_SECONDS", 0.05)
    turn = WriteTurn()
    gone, next_ = Writer("gone"), Writer("next")
    await turn.take(gone)
    waiting = asyncio.create_task(turn.take(next_))
    await asyncio.sleep(0.15)
    assert not waiting.done()  # the holder's transaction is still open: it keeps the turn
    gone.open = False  # closed without a commit or a rollback reaching the turn
    await asyncio.wait_for(waiting, 5)
    assert turn.held_by(next_)


def test_each_event_loop_has_its_own_turn() -> None:
    turns = WriteTurns()

    async def here() -> WriteTurn:
        return turns.here()

    async def twice() -> tuple[WriteTurn, WriteTurn]:
        return turns.here(), turns.here()

    first, again = asyncio.run(twice())
    assert first is again
    assert asyncio.run(here()) is not first
