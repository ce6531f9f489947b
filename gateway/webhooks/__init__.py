"""Webhooks: signed event deliveries to registered endpoints (Standard Webhooks).

- `signing`: ``whsec_`` secrets and ``webhook-*`` headers, several signatures during rotation;
- `targets`: which URLs may receive deliveries;
- `endpoints`: validated management of endpoints;
- `dispatcher`: fan-out of events into deliveries, attempts with retries;
- `retry`: the backoff schedule and ``Retry-After``.
"""

from gateway.webhooks.dispatcher import WebhookDispatcher
from gateway.webhooks.endpoints import EndpointManager
from gateway.webhooks.options import WebhookOptions

__all__ = ["EndpointManager", "WebhookDispatcher", "WebhookOptions"]
