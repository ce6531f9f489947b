"""`AccountReads`: every caller gets a read begun after it arrived; callers that arrive during a
read share the next one; a failed read fails only the callers it was for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.account_reads import AccountReads, prices_of
from gateway.graphql.account_prices import price_key
from gateway.store.rows import AccountRow


class Database:
    """Stands in for the row's table: a value that changes, and reads that wait to be let go."""

    def __init__(self) -> None:
        self.value = 0
        self.started: list[int] = []  # the value each read saw as it began
        self.began = [asyncio.Event() for _ in range(10)]  # read n has begun
        self.gates = [asyncio.Event() for _ in range(10)]  # read n may finish
        self.fail = False

    async def read(self, account_id: int) -> AccountRow | None:
        seen = self.value
        n = len(self.started)
        self.started.append(seen)
        self.began[n].set()
        await self.gates[n].wait()
        if self.fail:
            raise RuntimeError("database gone")
        return {"id": account_id, "seen": seen}  # type: ignore[return-value]

    async def let_go(self, reads: int) -> None:
        """Let read number `reads` (from 1) finish, once it has begun."""
        await self.began[reads - 1].wait()
        self.gates[reads - 1].set()


async def test_callers_arriving_during_a_read_share_the_next_one_and_see_later_writes() -> None:
    db = Database()
    reads = AccountReads(read=db.read)
    first = asyncio.create_task(reads.get(7))
    await db.began[0].wait()
    db.value = 1  # written after the first read began
    later = [asyncio.create_task(reads.get(7)) for _ in range(5)]
    await asyncio.wait(later, timeout=0)  # let them arrive (a yield, not a wait for time)
    await db.let_go(1)
    assert (await first)["seen"] == 0  # type: ignore[index]
    await db.let_go(2)
    answers = await asyncio.gather(*later)
    assert [a["seen"] for a in answers] == [1] * 5  # type: ignore[index]
    assert reads.reads == 2, "one read for the five that waited"
    other = asyncio.create_task(reads.get(8))
    await db.let_go(3)
    assert (await other)["id"] == 8  # type: ignore[index]


async def test_a_failed_read_fails_its_callers_and_the_next_caller_reads_again() -> None:
    db = Database()
    db.fail = True
    reads = AccountReads(read=db.read)
    waiting = asyncio.create_task(reads.get(7))
    await db.let_go(1)
    with pytest.raises(RuntimeError, match="database gone"):
        await waiting
    db.fail = False
    again = asyncio.create_task(reads.get(7))
    await db.let_go(2)
    assert (await again)["id"] == 7  # type: ignore[index]


async def test_a_caller_giving_up_does_not_cancel_the_others() -> None:
    db = Database()
    reads = AccountReads(read=db.read)
    quitter = asyncio.create_task(reads.get(7))
    stayer = asyncio.create_task(reads.get(7))
    await db.began[0].wait()
    quitter.cancel()
    await db.let_go(1)
    assert (await stayer)["id"] == 7  # type: ignore[index]
    assert quitter.cancelled()


def _row(markup: str) -> AccountRow:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return AccountRow(
        id=3, name="shop", currency="USD", state="active", balance=Decimal(0), held=Decimal(0),
        price_list={"markup_percent": markup}, margin_policy="skip", created_at=now,
        updated_at=now, version=1,
    )  # fmt: skip


def test_the_price_key_is_worked_out_once_per_row_read_and_again_for_the_next() -> None:
    first = _row("20")
    assert prices_of(first) == price_key(first)
    assert prices_of(first) is prices_of(first)
    repriced = _row("25")  # the next read, after a change under the same version
    assert prices_of(repriced) == price_key(repriced) != price_key(first)
