"""`Bulk` updates: on PostgreSQL one ``UPDATE ... FROM unnest(...)`` a batch, landing as the
per-row statement would (a batch that names a row twice runs row by row)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Dialect

from gateway.store import Store
from gateway.store.bulk import Bulk, unnest_update
from gateway.store.sync import _LATER
from gateway.store.sync_apply import _UPDATE_SYNCED
from gateway.store.tables import instances

EXPIRES = Bulk(
    instances.update()
    .where(instances.c.id == bindparam("instance"))
    .values(expires_at=bindparam("at"), kind=bindparam("kind"))
)
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def postgresql() -> Dialect:
    return PGDialect_asyncpg()  # type: ignore[no-untyped-call]


def test_an_update_reads_one_array_a_column_and_matches_on_its_key() -> None:
    compiled = _LATER.compiled(postgresql())
    assert compiled.columnar
    assert compiled.keys == (1,)
    assert compiled.sql == (
        "UPDATE orders SET next_poll_at=_v.p1, claimed_by=NULL FROM unnest("
        "$1::TIMESTAMP WITH TIME ZONE[], $2::BIGINT[]) AS _v(p1, p2) WHERE orders.id = _v.p2"
    )


def test_types_with_arguments_and_json_keep_their_casts() -> None:
    sql = _UPDATE_SYNCED.compiled(postgresql()).sql
    assert "charge=_v.p1," in sql
    assert "$1::NUMERIC(24, 10)[]" in sql
    assert "$12::JSONB[]" in sql
    assert sql.endswith("WHERE orders.id = _v.p13")


def test_other_forms_are_left_alone() -> None:
    assert unnest_update("UPDATE t SET a=$1::BIGINT WHERE t.id = $2::BIGINT", 2) is not None
    assert unnest_update("UPDATE t SET a=$1::BIGINT WHERE t.id > $2::BIGINT", 2) is None
    assert unnest_update("UPDATE t SET a=$1::BIGINT WHERE t.id = $1::BIGINT", 1) is None
    assert unnest_update("UPDATE t SET a=$1::BIGINT, b=now() WHERE t.id = $2", 2) is None
    returning = "UPDATE t SET a=$1::BIGINT WHERE t.id = $2::BIGINT RETURNING t.id"
    assert unnest_update(returning, 2) is None
    assert unnest_update("UPDATE t SET a=$1::BIGINT", 1) is None
    keys = unnest_update("UPDATE t SET a=$1::BIGINT WHERE t.x = $2::INTEGER AND t.y = $3::X", 3)
    assert keys is not None
    assert keys[1] == (1, 2)


async def _expiries(store: Store) -> dict[str, tuple[str, datetime]]:
    async with store.transaction() as tx:
        result = await tx.execute(select(instances.c.id, instances.c.kind, instances.c.expires_at))
        return {str(i): (str(kind), at) for i, kind, at in result}


async def test_a_batch_updates_each_row_by_its_key(store: Store) -> None:
    for name in ("a", "b", "c"):
        await store.beat(name, "worker", expires_at=START)
    later = START + timedelta(minutes=5)
    async with store.transaction() as tx:
        await EXPIRES.run(
            tx,
            [
                {"instance": "c", "at": later, "kind": "relay"},
                {"instance": "a", "at": later + timedelta(seconds=1), "kind": "worker"},
                {"instance": "missing", "at": later, "kind": "worker"},
            ],
        )
    assert await _expiries(store) == {
        "a": ("worker", later + timedelta(seconds=1)),
        "b": ("worker", START),
        "c": ("relay", later),
    }


async def test_a_batch_naming_a_row_twice_lands_as_rows_one_by_one_would(store: Store) -> None:
    await store.beat("a", "worker", expires_at=START)
    last = START + timedelta(minutes=9)
    async with store.transaction() as tx:
        await EXPIRES.run(
            tx,
            [
                {"instance": "a", "at": START + timedelta(minutes=1), "kind": "first"},
                {"instance": "a", "at": last, "kind": "last"},
            ],
        )
    assert await _expiries(store) == {"a": ("last", last)}
