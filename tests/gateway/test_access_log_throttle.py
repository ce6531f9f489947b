"""An anonymous caller cannot grow the access log fast: the gateway served by uvicorn as
`serve` configures it writes a few lines of refused requests per address, then one line saying
how many it left out; successful and server-error lines are always written."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from gateway import logs
from gateway.app import create_app
from gateway.config import Settings
from gateway.core import Gateway

BUDGET = 10


class Lines(logging.Handler):
    """The access lines written, formatted as `serve` formats them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        config = logs.uvicorn_log_config()["formatters"]["access"]
        self.setFormatter(logs.AccessFormatter(fmt=config["fmt"], use_colors=False))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The access logger throttled by a filter on this clock (and not by the default one)."""
    logger = logging.getLogger(logs.ACCESS_LOGGER)
    logs.install()
    installed = [f for f in logger.filters if isinstance(f, logs.AccessThrottle)]
    for old in installed:
        logger.removeFilter(old)
    ticking = Clock()
    throttle = logs.AccessThrottle(budget=BUDGET, per=60.0, clock=ticking)
    logger.addFilter(throttle)
    yield ticking
    logger.removeFilter(throttle)
    for old in installed:
        logger.addFilter(old)


@asynccontextmanager
async def serve(settings: Settings, gw: Gateway, lines: Lines) -> AsyncIterator[str]:
    """The app on a loopback port, its access lines also kept in `lines`."""
    app = create_app(settings, gateway=gw, background=False)
    # What `smm-gateway serve` runs: uvicorn's logging with the gateway's access formatter.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_config=logs.uvicorn_log_config()
    )
    server = uvicorn.Server(config)
    # Added once uvicorn has configured its loggers (which drops the handlers it finds).
    logger = logging.getLogger(logs.ACCESS_LOGGER)
    logger.addHandler(lines)
    try:
        async with app.router.lifespan_context(app):
            task = asyncio.create_task(server.serve())
            try:
                while not server.started:
                    if task.done():
                        task.result()
                    await asyncio.sleep(0.01)
                port = server.servers[0].sockets[0].getsockname()[1]
                yield f"http://127.0.0.1:{port}"
            finally:
                server.should_exit = True
                await task
    finally:
        logger.removeHandler(lines)


async def _bad_keys(client: httpx.AsyncClient, count: int) -> list[int]:
    statuses: list[int] = []
    for start in range(0, count, 25):
        batch = [
            client.get("/v1/webhooks", headers={"Authorization": f"Bearer guess-{n}"})
            for n in range(start, min(count, start + 25))
        ]
        statuses += [r.status_code for r in await asyncio.gather(*batch)]
    return statuses


async def test_refused_requests_write_a_bounded_number_of_lines(
    settings: Settings, gw: Gateway, clock: Clock
) -> None:
    _, admin = await gw.store.create_api_key("admin", "ops", ["admin"])
    lines = Lines()
    async with serve(settings, gw, lines) as url, httpx.AsyncClient(base_url=url) as client:
        statuses = await _bad_keys(client, 500)
        good = await client.get("/v1/webhooks", headers={"Authorization": f"Bearer {admin}"})
        written_before_window_ends = list(lines.lines)
        clock.now += 61
        after = await client.get("/v1/webhooks", headers={"Authorization": "Bearer guess-late"})

    assert set(statuses) <= {401, 429}
    assert len(statuses) == 500
    assert good.status_code == 200
    assert after.status_code in (401, 429)

    refused = [line for line in written_before_window_ends if '/v1/webhooks HTTP/1.1" 4' in line]
    assert len(refused) == BUDGET, written_before_window_ends
    assert any('/v1/webhooks HTTP/1.1" 200' in line for line in written_before_window_ends)
    assert not any("suppressed" in line for line in written_before_window_ends)

    summary, late = lines.lines[len(written_before_window_ends) :]
    assert summary.endswith(
        f"suppressed {500 - BUDGET} similar access lines from 127.0.0.1 in the last 61 s"
    ), summary
    assert '/v1/webhooks HTTP/1.1" 4' in late, "a new window writes again"


def _record(client: str, status: int, logger: str = logs.ACCESS_LOGGER) -> logging.LogRecord:
    return logging.LogRecord(
        logger, logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        (client, "GET", "/api/v2", "1.1", status), None,
    )  # fmt: skip


def test_successes_and_server_errors_always_pass() -> None:
    throttle = logs.AccessThrottle(budget=1, per=60.0, clock=Clock())
    assert throttle.filter(_record("198.51.100.7:4000", 401))
    assert not throttle.filter(_record("198.51.100.7:4001", 403))
    assert not throttle.filter(_record("198.51.100.7:4002", 429))
    assert throttle.filter(_record("198.51.100.7:4003", 200))
    assert throttle.filter(_record("198.51.100.7:4004", 503))
    assert throttle.filter(_record("198.51.100.8:4000", 404)), "another address, its own budget"
    unrelated = logging.LogRecord(logs.ACCESS_LOGGER, logging.INFO, __file__, 1, "hi", (), None)
    assert throttle.filter(unrelated)


def test_forgotten_addresses_are_summarised(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.access")  # no uvicorn formatter: caplog sees it
    throttle = logs.AccessThrottle(budget=1, per=60.0, max_addresses=2, clock=Clock())
    record = _record("203.0.113.1:1", 401, logger.name)
    assert throttle.filter(record)
    assert not throttle.filter(record)
    assert not throttle.filter(record)
    with caplog.at_level(logging.INFO, logger=logger.name):
        for host in ("203.0.113.2", "203.0.113.3"):  # the first address is dropped
            assert throttle.filter(_record(f"{host}:1", 401, logger.name))
    assert [r.getMessage() for r in caplog.records] == [
        "suppressed 2 similar access lines from 203.0.113.1 in the last 0 s"
    ]
    assert throttle.filter(record), "a forgotten address starts again with a whole budget"


def test_a_quiet_address_is_summarised_at_the_next_line_of_anyone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = "tests.access"
    clock = Clock()
    throttle = logs.AccessThrottle(budget=2, per=60.0, clock=clock)
    with caplog.at_level(logging.INFO, logger=name):
        kept = [throttle.filter(_record(f"198.51.100.9:{n}", 401, name)) for n in range(5)]
        clock.now += 90
        assert throttle.filter(_record("192.0.2.1:1", 200, name))
    assert kept == [True, True, False, False, False]
    assert [r.getMessage() for r in caplog.records] == [
        "suppressed 3 similar access lines from 198.51.100.9 in the last 90 s"
    ]
