"""`Bulk` inserts on PostgreSQL: the single-row statement rewritten to insert from arrays."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Dialect

from gateway.store import Store
from gateway.store.bulk import unnest_insert
from gateway.store.sync import _OUTBOX
from gateway.store.sync_apply import _HISTORY


def postgresql() -> Dialect:
    return PGDialect_asyncpg()  # type: ignore[no-untyped-call]


def test_an_insert_reads_one_array_a_column_and_keeps_its_conflict_clause() -> None:
    compiled = _OUTBOX["postgresql"].compiled(postgresql())
    assert compiled.columnar
    assert compiled.sql == (
        "INSERT INTO outbox (event_id, type, payload, created_at) SELECT * FROM unnest("
        "$1::VARCHAR[], $2::VARCHAR[], $3::JSONB[], $4::TIMESTAMP WITH TIME ZONE[]) "
        "ON CONFLICT (event_id) DO NOTHING"
    )


def test_the_returning_clause_is_dropped() -> None:
    compiled = _HISTORY.compiled(postgresql())
    assert compiled.sql.endswith("$5::VARCHAR[], $6::JSONB[])")
    assert "RETURNING" not in compiled.sql


def test_types_with_commas_keep_their_arguments() -> None:
    sql = "INSERT INTO t (a, b) VALUES ($1::NUMERIC(24, 10), $2::BIGINT)"
    assert unnest_insert(sql, 2) == (
        "INSERT INTO t (a, b) SELECT * FROM unnest($1::NUMERIC(24, 10)[], $2::BIGINT[])"
    )


def test_other_forms_are_left_alone() -> None:
    assert unnest_insert("INSERT INTO t (a, b) VALUES ($1::BIGINT, now())", 1) is None
    assert unnest_insert("INSERT INTO t (a, b) VALUES ($2::BIGINT, $1::BIGINT)", 2) is None
    assert unnest_insert("UPDATE t SET a=$1::BIGINT", 1) is None


async def test_a_batch_lands_as_single_inserts_would_and_known_ids_are_skipped(
    store: Store,
) -> None:
    payloads: list[dict[str, Any]] = [
        {"id": 1, "charge": "0.1000000000", "flags": ["a"]},
        {"nested": {"x": None}},
    ]
    async with store.transaction() as tx:
        await store.add_outbox(tx, "evt-0", "order.created", {"id": 0})
        await store.add_outbox_many(
            tx,
            [
                ("evt-0", "order.created", {"id": -1}),
                ("evt-1", "order.created", payloads[0]),
                ("evt-2", "order.updated", payloads[1]),
                ("evt-1", "order.created", {"id": -2}),
            ],
        )
    pending = await store.pending_outbox()
    assert [(r.event_id, r.type, r.payload) for r in pending] == [
        ("evt-0", "order.created", {"id": 0}),
        ("evt-1", "order.created", payloads[0]),
        ("evt-2", "order.updated", payloads[1]),
    ]
    assert len({r.created_at for r in pending}) == 1
