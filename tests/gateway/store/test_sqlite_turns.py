"""Write turns (`gateway.store.sqlite_turns`): first come, first served, and never stuck on a
holder whose transaction ended without giving its turn back."""

from __future__ import annotations

import asyncio
import sqlite3

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
    await turn.take(first, 30)
    served: list[str] = []

    async def write(writer: Writer) -> None:
        await turn.take(writer, 30)
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
    await turn.take(holder, 30)
    turn.give_back(other)
    assert turn.held_by(holder)
    turn.give_back(holder)
    assert not turn.held_by(holder)


@pytest.fixture
def quick_recheck(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_turns, "RECHECK_SECONDS", 0.05)


@pytest.mark.usefixtures("quick_recheck")
async def test_a_holder_whose_transaction_ended_silently_loses_its_turn() -> None:
    turn = WriteTurn()
    gone, next_ = Writer("gone"), Writer("next")
    await turn.take(gone, 30)
    waiting = asyncio.create_task(turn.take(next_, 30))
    await asyncio.sleep(0.15)
    assert not waiting.done()  # the holder's transaction is still open: it keeps the turn
    gone.open = False  # closed without a commit or a rollback reaching the turn
    await asyncio.wait_for(waiting, 5)
    assert turn.held_by(next_)


@pytest.mark.usefixtures("quick_recheck")
async def test_a_writer_waits_no_longer_than_sqlite_would() -> None:
    turn = WriteTurn()
    stuck, waiting = Writer("stuck"), Writer("waiting")
    await turn.take(stuck, 30)
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        await turn.take(waiting, 0.2)
    assert turn.held_by(stuck)


async def test_a_cancelled_waiter_never_takes_the_turn() -> None:
    turn = WriteTurn()
    holder, cancelled, next_ = Writer("holder"), Writer("cancelled"), Writer("next")
    await turn.take(holder, 30)
    waiting = asyncio.create_task(turn.take(cancelled, 30))
    await asyncio.sleep(0)
    turn.give_back(holder)  # the turn is handed over ...
    waiting.cancel()  # ... as the waiter is cancelled
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not turn.held_by(cancelled)
    await asyncio.wait_for(turn.take(next_, 30), 5)  # passed on, not lost
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
