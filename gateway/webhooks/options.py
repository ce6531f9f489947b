"""Webhook settings, read from the configuration's ``[webhooks]`` section when it has one.

::

    [webhooks]
    allow_private_targets = false   # true lets endpoints point at loopback/private addresses
    timeout = 10.0                  # seconds per attempt, connect to last byte of headers
    max_attempts = 10               # then the delivery is given up (about a day of retries)
    concurrency = 10                # attempts in flight per worker
    secret_overlap_hours = 24       # a rotated-out secret keeps signing this long
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gateway.config import Settings

DEFAULT_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    allow_private_targets: bool = False
    timeout: float = 10.0
    max_attempts: int = 10
    concurrency: int = 10
    secret_overlap: timedelta = timedelta(hours=24)
    lease: timedelta = DEFAULT_LEASE
    """How long a claimed delivery stays away from other workers: longer than `timeout`."""

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookOptions:
        """The configuration's ``[webhooks]`` section."""
        section = settings.webhooks
        return cls(
            allow_private_targets=section.allow_private_targets,
            timeout=section.timeout,
            max_attempts=section.max_attempts,
            concurrency=section.concurrency,
            secret_overlap=timedelta(hours=section.secret_overlap_hours),
            lease=max(DEFAULT_LEASE, timedelta(seconds=section.timeout * 3)),
        )
