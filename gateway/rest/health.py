"""``/healthz`` (the process answers), ``/readyz`` (can serve: the store and a provider answer;
the cache is reported, ``degraded`` when it fails) and ``/metrics`` (Prometheus).

A gateway serves correctly without Redis (slower, with per-process limits), so a Redis outage
must not make a load balancer drop every instance: readiness stays 200 with the cache named as
degraded."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from gateway import metrics
from gateway.context import app_context
from gateway.core import Gateway
from gateway.rest.metrics_auth import may_scrape
from gateway.rest.responses import json_answer, timed

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0
OPTIONAL = frozenset({"cache"})
"""Checks whose failure degrades service without stopping it."""


@timed("/healthz")
async def healthz(request: Request) -> Response:
    return json_answer({"status": "ok"})


async def _store(gw: Gateway) -> str | None:
    async with gw.store.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return None


async def _cache(gw: Gateway) -> str | None:
    # The cache turns Redis errors into misses, so a write read back is the only proof.
    probe = secrets.token_hex(8).encode()
    await gw.cache.set("readyz", probe, 30)
    return None if await gw.cache.get("readyz") == probe else "cache did not keep a value"


async def _providers(gw: Gateway) -> str | None:
    balances = await gw.balances.fetch()
    if any(b.error is None for b in balances.providers):
        return None
    return "no provider answers" if balances.providers else "no provider configured"


async def _check(name: str, probe: Any) -> tuple[str, str | None]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            return name, await probe
    except Exception as exc:
        log.warning("readiness check %s failed: %s", name, exc)
        return name, f"{type(exc).__name__}"


@timed("/readyz")
async def readyz(request: Request) -> Response:
    try:
        gw = app_context(request).gateway
    except RuntimeError:
        return json_answer({"status": "starting", "checks": {}}, status=503)
    results = await asyncio.gather(
        _check("store", _store(gw)),
        _check("cache", _cache(gw)),
        _check("providers", _providers(gw)),
    )
    checks = {name: ("ok" if error is None else error) for name, error in results}
    degraded = [name for name, error in results if error is not None and name in OPTIONAL]
    ready = all(error is None for name, error in results if name not in OPTIONAL)
    for name in degraded:
        checks[name] = f"degraded: {checks[name]}"
    body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
    if degraded:
        body["degraded"] = degraded
    return json_answer(body, status=200 if ready else 503)


@timed("/metrics")
async def metrics_endpoint(request: Request) -> Response:
    try:
        context = app_context(request)
    except RuntimeError:
        return json_answer({"error": "starting"}, status=503)
    if not may_scrape(context.settings, request.headers.get("authorization")):
        # Guessing the token costs the same budget as guessing an API key.
        address = request.client.host if request.client else "unknown"
        decision = await context.limiter.check(None, address)
        if not decision.allowed:
            retry = str(int(decision.retry_after + 0.999))
            return json_answer({"error": "rate limit exceeded"}, 429, {"Retry-After": retry})
        return json_answer(
            {"error": "a valid metrics token is required (Authorization: Bearer)"},
            status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )  # fmt: skip
    gw: Gateway | None = context.gateway
    try:
        body = await metrics.exposition(gw)
    except Exception:
        log.exception("reading state for /metrics failed")
        body = await metrics.exposition(None)
    return Response(body, media_type=metrics.CONTENT_TYPE)
