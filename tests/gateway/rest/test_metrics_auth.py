"""/metrics is not public: the scraper presents the token configured through the environment or
a secrets file; guessing it is throttled like guessing an API key."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.config import ApiSection
from gateway.core import Gateway
from tests.gateway.panels import Trio
from tests.gateway.rest.conftest import (
    METRICS_TOKEN_ENV,
    LimitsSection,
    client_for,
    rest_settings,
    running,
)

TOKEN = "a-long-scrape-token-0123456789"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_metrics_need_the_token_from_the_environment(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset = await client.get("/metrics", headers=_bearer(TOKEN))
    assert unset.status_code == 401, "no token configured: nobody scrapes"
    monkeypatch.setenv(METRICS_TOKEN_ENV, TOKEN)
    anonymous = await client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert "smmgw_" not in anonymous.text
    wrong = await client.get("/metrics", headers=_bearer(TOKEN + "x"))
    assert wrong.status_code == 401
    scraped = await client.get("/metrics", headers=_bearer(TOKEN))
    assert scraped.status_code == 200
    assert "smmgw_http_requests_total" in scraped.text


async def test_metrics_token_from_a_secrets_file_and_guesses_throttled(
    trio: Trio, database_url: str, redis_url: str, namespace: str, gw: Gateway, tmp_path: Path
) -> None:
    secret = tmp_path / "metrics"
    secret.write_text(TOKEN + "\n")
    base = rest_settings(
        trio, database_url, redis_url, namespace, limits=LimitsSection(anonymous="3/minute")
    )
    settings = base.model_copy(update={"api": ApiSection(metrics_token_file=secret)})
    async with running(settings, gw) as app, client_for(app) as client:
        guesses = [
            (await client.get("/metrics", headers=_bearer(f"guess-{i}"))).status_code
            for i in range(5)
        ]
        assert guesses == [401, 401, 401, 429, 429]
        public = settings.model_copy(update={"api": ApiSection(metrics_public=True)})
        async with running(public, gw) as open_app, client_for(open_app) as open_client:
            assert (await open_client.get("/metrics")).status_code == 200
    async with running(settings, gw) as app, client_for(app) as client:
        scraped = await client.get("/metrics", headers=_bearer(TOKEN))
    assert scraped.status_code == 200
