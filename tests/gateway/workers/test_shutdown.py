"""A worker process asked to stop (SIGTERM) finishes within its shutdown grace: nothing is left
for saq to cancel, and it exits cleanly."""

from __future__ import annotations

from pathlib import Path

from gateway.config import Settings
from gateway.core import Gateway
from tests.gateway.panels import Trio
from tests.gateway.workers.helpers import StatusRecorder, eventually
from tests.gateway.workers.test_processes import seed, workers

OVERRUN = "did not finish within the shutdown grace period"


async def test_sigterm_stops_a_busy_worker_within_its_grace(
    gw: Gateway,
    trio: Trio,
    settings: Settings,
    recorders: dict[str, StatusRecorder],
    tmp_path: Path,
) -> None:
    await seed(gw, trio, 30)
    with workers(settings, trio, tmp_path, lease=30) as group:
        group.start()
        # Running: it has polled the panels, and saq's upkeep timers (sweep, worker info)
        # have started their waits.
        await eventually(lambda: any(r.batches for r in recorders.values()), within=60)
        await eventually(lambda: "Worker starting" in group.logs(), within=60)
        codes = group.stop()
    logs = group.logs()
    assert codes == [0], logs
    assert "Working shutting down" in logs, "it stopped on SIGTERM, not by dying"
    assert OVERRUN not in logs, logs
    assert "did not finish cancellation" not in logs, logs
