"""Who may read ``/metrics``: a scraper presenting the configured bearer token.

Metrics name every provider and count their failures and money, so they are not public by
default. The token comes from the environment or a secrets file, never the configuration file::

    [api]
    metrics_token_env = "SMM_GATEWAY_METRICS_TOKEN"   # or metrics_token_file = "/run/secrets/m"
    # metrics_public = true                           # only behind a scraper-only listener

With neither a token nor ``metrics_public``, ``/metrics`` refuses every caller.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from gateway.auth import bearer_token
from gateway.config import Settings

SECRET_NAME = "metrics_token"


def metrics_token(settings: Settings, environ: Mapping[str, str] = os.environ) -> str | None:
    """The configured token, or None when none is set."""
    api = settings.api
    if api.metrics_token_env:
        value = environ.get(api.metrics_token_env, "").strip()
        if value:
            return value
    files: list[Path] = [api.metrics_token_file] if api.metrics_token_file else []
    if settings.gateway.secrets_dir:
        files.append(settings.gateway.secrets_dir / SECRET_NAME)
    for path in files:
        if path.is_file():
            value = path.read_text().strip()
            if value:
                return value
    return None


def may_scrape(settings: Settings, authorization: str | None) -> bool:
    """Whether a request with this ``Authorization`` header may read the metrics."""
    if settings.api.metrics_public:
        return True
    expected = metrics_token(settings)
    given = bearer_token(authorization)
    if expected is None or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
