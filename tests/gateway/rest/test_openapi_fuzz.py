"""Schemathesis fuzzes ``/v1`` from its OpenAPI document against the real app on loopback: no
5xx, no status, content type or body the document does not describe."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.app import create_app
from gateway.config import LimitsSection, Settings
from gateway.rest.openapi import document
from tests.gateway.graphql.server import serve
from tests.gateway.panels import Trio, open_gateway

EXAMPLES = 15
"""Per operation: eleven operations run in well under a minute."""
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance,
]  # fmt: skip


@dataclass
class Running:
    url: str
    key: str


@pytest.fixture
def threaded(settings: Settings, trio: Trio) -> Iterator[Running]:
    """The app in a thread of its own (schemathesis calls it synchronously), with an admin key
    and a limit that the fuzzing does not reach."""
    roomy = settings.model_copy(update={"limits": LimitsSection(per_key="100000/minute")})
    ready = threading.Event()
    stop = threading.Event()
    found: list[Running] = []
    failed: list[BaseException] = []

    async def main() -> None:
        async with open_gateway(roomy, trio) as gw:
            _, key = await gw.store.create_api_key("fuzz", "ops", ["admin"])
            async with serve(create_app(roomy, gateway=gw, background=False)) as server:
                found.append(Running(server.base_url, key))
                ready.set()
                while not stop.is_set():  # noqa: ASYNC110 (a thread's flag, not a loop's)
                    await asyncio.sleep(0.05)

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test below
            failed.append(exc)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(60)
    if failed:
        raise failed[0]
    try:
        yield found[0]
    finally:
        stop.set()
        thread.join(30)


def test_fuzzing_finds_no_server_error_and_no_undocumented_answer(threaded: Running) -> None:
    schema = schemathesis.openapi.from_dict(document())
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) == 12
    headers = {"Authorization": f"Bearer {threaded.key}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def check(case: schemathesis.Case[Any]) -> None:
            response = case.call(base_url=threaded.url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        check()
