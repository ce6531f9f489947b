"""A client's mistakes are one INFO line each, without a traceback, and sampled: a caller cannot
grow the log fast."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from gateway import logs
from gateway.graphql.errors import BadInput
from tests.gateway.graphql.conftest import Keys
from tests.gateway.graphql.server import ApiFactory

STRAWBERRY = "strawberry.execution"


def _fresh_sampler() -> None:
    logger = logging.getLogger(STRAWBERRY)
    for old in [f for f in logger.filters if isinstance(f, logs.ClientMistakes)]:
        logger.removeFilter(old)
    logs.install()


async def test_forbidden_and_unauthenticated_are_sampled_info_lines(
    api: ApiFactory, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    _fresh_sampler()
    caplog.set_level(logging.INFO, logger=STRAWBERRY)
    for _ in range(40):
        assert await api(keys.reader).error_codes("{ providers { name } }") == ["FORBIDDEN"]
    for _ in range(5):
        assert await api(None).error_codes("{ viewer { clientId } }") == ["UNAUTHENTICATED"]
    mine = [r for r in caplog.records if r.name == STRAWBERRY]
    assert len(mine) == 30, "a budget of 30 lines a minute"
    assert {r.levelno for r in mine} == {logging.INFO}
    assert all(r.exc_info is None and r.stack_info is None for r in mine)
    assert all("\n" not in r.getMessage() for r in mine)
    assert "GraphQL client error FORBIDDEN" in mine[0].getMessage()


def test_the_sampler_says_how_many_lines_it_left_out(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    logger = logging.getLogger("tests.client_mistakes")
    sampler = logs.ClientMistakes(budget=2, per=10.0, clock=lambda: now[0])
    logger.addFilter(sampler)
    try:
        caplog.set_level(logging.INFO, logger=logger.name)
        for _ in range(5):
            logger.error(BadInput("give between 1 and 100 order ids"), exc_info=True)
        now[0] = 10.0
        logger.error(BadInput("give between 1 and 100 order ids"))
        unexpected = GraphQLError("boom", original_error=RuntimeError("boom"))
        logger.error(unexpected)
    finally:
        logger.removeFilter(sampler)
    messages = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == logger.name]
    line = "GraphQL client error BAD_USER_INPUT: give between 1 and 100 order ids"
    assert messages == [
        (logging.INFO, line), (logging.INFO, line),
        (logging.INFO, line + " (3 similar lines left out)"),
        (logging.ERROR, "boom"),
    ]  # fmt: skip
