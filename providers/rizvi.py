"""Rizvi SMM Panels, the seed's panel: the v2 template at https://rizvismmpanels.com/api/v2."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from providers.profiles import RIZVI
from providers.v2 import V2Provider

RIZVI_URL = "https://rizvismmpanels.com/api/v2"


def rizvi(name: str, key: str | SecretStr, url: str | None = None, **options: Any) -> V2Provider:
    """A Rizvi adapter; `url` only to point it elsewhere (a mirror, a test server)."""
    return V2Provider(name, url or RIZVI_URL, key, profile=RIZVI, **options)
