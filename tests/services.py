"""The real Redis on 127.0.0.1:6379 (``SMMGW_TEST_REDIS_URL``) for tests that need one."""

from __future__ import annotations

import os
import uuid

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tests.databases import unavailable

REDIS_URL = os.environ.get("SMMGW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis_url() -> str:
    """The URL of the real Redis; keys made under it are the test's to clean up."""
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError):
        unavailable(f"no Redis at {REDIS_URL}")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
def namespace() -> str:
    """A namespace no other test (or parallel run) uses."""
    return f"smmgw-test-{uuid.uuid4().hex[:12]}"
