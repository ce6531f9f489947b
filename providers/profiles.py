"""Panel quirks as data: how to talk to a panel, not how to read it.

Every answer shape of PANELS.md is read by the tolerant parsers in `providers.parsing`, whatever
the profile; a profile only says what differs in the *request*: method, the single/batch field
names, batch sizes and a polite call rate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Method(StrEnum):
    """How the fields travel."""

    POST_FORM = "post"
    GET_QUERY = "get"
    POST_JSON = "json"


@dataclass(frozen=True, slots=True)
class Profile:
    """The request-side quirks of one kind of panel."""

    name: str
    method: Method = Method.POST_FORM
    url: str | None = None
    """Default API URL (presets for one known panel)."""
    batch_status: bool = True
    """Takes ``orders`` for several statuses at once; otherwise one call per id."""
    batch_refill: bool = True
    batch_refill_status: bool = True
    batch_cancel: bool = True
    """Cancel takes ``orders``; otherwise one ``order`` per call."""
    max_batch: int = 100
    calls_per_minute: int = 120
    """Client-side rate limit; common panel limits are 60 to 120 calls a minute a key."""
    concurrency: int = 4
    """Calls in flight at once to this panel."""
    currency: str = "USD"
    """Assumed when the panel does not say."""
    user_agent: str = "smm-gateway/0.1"

    def with_(self, **changes: object) -> Profile:
        return replace(self, **changes)  # type: ignore[arg-type]


SEED = Profile(name="seed")
"""The v2 template as the Rizvi API page documents it: form POST, ``order``/``orders``."""

SLOPPY = Profile(name="sloppy")
"""Text/html JSON, numbers and flags in any spelling: requests as the seed, answers loose."""

GET_V1 = Profile(name="get_v1", method=Method.GET_QUERY, batch_cancel=False, calls_per_minute=60)
"""GET query strings at ``/api/v1``; cancel takes one ``order`` per call."""

JSON = Profile(name="json", method=Method.POST_JSON)
"""A JSON request body; opaque string ids."""

RIZVI = Profile(name="rizvi", url="https://rizvismmpanels.com/api/v2")
"""Rizvi SMM Panels (the seed)."""

PROFILES: dict[str, Profile] = {p.name: p for p in (SEED, SLOPPY, GET_V1, JSON, RIZVI)}


def get_profile(name: str) -> Profile:
    """The profile called `name`, or a `KeyError` naming the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown panel profile {name!r}; known profiles: {known}") from None
