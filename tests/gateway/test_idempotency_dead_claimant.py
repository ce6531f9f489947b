"""A key claimed by a gateway process that died before recording its order: retries wait for
it while its heartbeat lives, and take the claim over as soon as the heartbeat has expired,
however young the claim (`gateway.fleet`). Still one order and one upstream ``add``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.config import Settings, WorkersSection
from gateway.core import Gateway
from gateway.orders import IdempotencyPending
from gateway.orders.validation import fingerprint
from gateway.store import IdempotencyClaim
from providers.models import OrderState
from tests.gateway.held import Held, eventually, held_gateway
from tests.gateway.panels import Trio, shared_group
from tests.gateway.test_idempotency_takeover import fields_for

HELD = "gateway-held:1:dead"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def held(settings: Settings, trio: Trio, gw: Gateway, tmp_path: Path) -> AsyncIterator[Held]:
    async with held_gateway(settings, trio, tmp_path) as opened:
        opened.gateway.orders.instance = HELD
        yield opened


async def test_a_claim_of_a_process_whose_heartbeat_expired_is_taken_over_at_once(
    gw: Gateway, held: Held, trio: Trio
) -> None:
    group = await shared_group(gw)
    snapshot = await gw.catalog.snapshot()
    await gw.store.beat(HELD, "gateway", expires_at=datetime.now(UTC) + timedelta(hours=1))
    held.hold()
    first = held.gateway.orders.place(
        snapshot, "c", group.id, fields_for(group), idempotency_key="k"
    )
    first_task = asyncio.create_task(first)

    async def claimed() -> IdempotencyClaim | None:
        if first_task.done():
            first_task.result()
        return await gw.store.idempotency_claim("c", "k")

    claim = await eventually(claimed, "the held request claims its key")
    assert not claim.orphaned

    # Waits measured from the claim would keep retries out for an hour.
    gw.orders.idempotency_patience = 0
    gw.orders.idempotency_wait = 3600
    with pytest.raises(IdempotencyPending):
        await gw.place("c", group.id, fields_for(group), idempotency_key="k")

    # The held process dies: its heartbeat runs out.
    await gw.store.beat(HELD, "gateway", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    orphaned = await gw.store.idempotency_claim("c", "k")
    assert orphaned is not None
    assert orphaned.orphaned
    retry = await gw.place("c", group.id, fields_for(group), idempotency_key="k")
    assert retry.state == OrderState.PENDING
    assert sum(trio.calls("add").values()) == 1

    held.release()
    late = await first_task
    assert late.id == retry.id, "the stalled request answers with the key's order"
    assert sum(trio.calls("add").values()) == 1
    assert [o.id for o in await gw.store.list_orders("c", None, None, 10)] == [retry.id]


def claim_and_die(spec: Path, env: dict[str, str]) -> int:
    """A gateway process claims the key, then is SIGKILLed before its order; its exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.gateway.claimant_process", str(spec)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"claimed"
    finally:
        proc.kill()
        code = proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    return code


async def test_a_key_of_a_sigkilled_gateway_is_taken_over_once_its_heartbeat_expires(
    gw: Gateway, trio: Trio, settings: Settings, tmp_path: Path
) -> None:
    group = await shared_group(gw)
    fields = fields_for(group)
    fleet = settings.model_copy(
        update={"workers": WorkersSection(heartbeat_seconds=0.5, heartbeat_timeout_seconds=2)}
    )
    spec = tmp_path / "claimant.json"
    spec.write_text(json.dumps({
        "settings": fleet.model_dump(mode="json"), "client": "c", "key": "k",
        "fingerprint": fingerprint(group.id, fields, frozenset()),
    }))  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.update({f"{name.upper()}_KEY": sim.key or "" for name, sim in trio.sims.items()})
    assert await asyncio.to_thread(claim_and_die, spec, env) == -signal.SIGKILL
    claim = await gw.store.idempotency_claim("c", "k")
    assert claim is not None
    assert claim.order_id is None
    # Waits measured from the claim would keep the key for an hour; the dead gateway's
    # heartbeat expires in two seconds, and the retry, waiting meanwhile, places it then.
    gw.orders.idempotency_patience = 3600
    gw.orders.idempotency_wait = 3600
    async with asyncio.timeout(120):  # a guard against hanging for the hour, not a measure
        retry = await gw.place("c", group.id, fields, idempotency_key="k")
    assert retry.state == OrderState.PENDING
    assert sum(trio.calls("add").values()) == 1
    again = await gw.place("c", group.id, fields, idempotency_key="k")
    assert again.id == retry.id
