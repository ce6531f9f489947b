"""Managing webhook endpoints: validated creation and updates, secrets shown once, rotation.

::

    manager = EndpointManager(store, WebhookOptions(allow_private_targets=False))
    created = await manager.create(url="https://example.com/hooks",
                                   event_types=["order.completed"], description="shop")
    created.secret          # "whsec_...": shown here, never again
    await manager.update(created.endpoint.id, enabled=False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.events import EVENT_TYPES
from gateway.store import Store, WebhookEndpointRow
from gateway.webhooks.options import WebhookOptions
from gateway.webhooks.signing import SecretSet, new_secret
from gateway.webhooks.targets import check_target

MAX_DESCRIPTION = 500
MAX_EVENT_TYPES = 50


class EndpointError(ValueError):
    """A request the manager refuses; the message is safe to show."""


class EndpointNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Created:
    """A new endpoint, or a rotated one, with the secret it signs with from now on."""

    endpoint: WebhookEndpointRow
    secret: str = field(repr=False)


def check_event_types(types: object) -> list[str]:
    """A non-empty list of known event types (or ``*``), deduplicated in the order given."""
    if not isinstance(types, list) or not types or len(types) > MAX_EVENT_TYPES:
        raise EndpointError("event_types must be a non-empty list of event types")
    known = {*EVENT_TYPES, "*"}
    unknown = [t for t in types if not isinstance(t, str) or t not in known]
    if unknown:
        raise EndpointError(
            f"unknown event types {unknown!r}; known: {', '.join(EVENT_TYPES)} (or *)"
        )
    return list(dict.fromkeys(types))


def check_description(description: object) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise EndpointError(f"description must be text of at most {MAX_DESCRIPTION} characters")
    return description


class EndpointManager:
    """Validated operations on webhook endpoints."""

    def __init__(self, store: Store, options: WebhookOptions) -> None:
        self.store = store
        self.options = options

    async def _url(self, url: object) -> str:
        if not isinstance(url, str):
            raise EndpointError("url must be an http(s) URL")
        try:
            return await check_target(url, allow_private=self.options.allow_private_targets)
        except ValueError as exc:
            raise EndpointError(str(exc)) from None

    async def get(self, endpoint_id: int) -> WebhookEndpointRow:
        found = await self.store.get_webhook_endpoint(endpoint_id)
        if found is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        return found

    async def create(
        self, *, url: object, event_types: object, description: object = None
    ) -> Created:
        secret = new_secret()
        row = await self.store.create_webhook_endpoint(
            url=await self._url(url),
            event_types=check_event_types(event_types),
            secret=secret,
            description=check_description(description),
        )
        return Created(row, secret)

    async def update(
        self,
        endpoint_id: int,
        *,
        url: object = None,
        event_types: object = None,
        description: object = None,
        enabled: object = None,
        clear: Sequence[str] = (),
    ) -> WebhookEndpointRow:
        """Change what is given (None leaves a field alone; `clear` names fields to empty)."""
        await self.get(endpoint_id)
        changes: dict[str, Any] = {}
        if url is not None:
            changes["url"] = await self._url(url)
        if event_types is not None:
            changes["event_types"] = check_event_types(event_types)
        if description is not None or "description" in clear:
            changes["description"] = check_description(description)
        if enabled is not None:
            if not isinstance(enabled, bool):
                raise EndpointError("enabled must be true or false")
            changes["enabled"] = enabled
            changes["disabled_reason"] = None if enabled else "disabled by an operator"
        if not changes:
            return await self.get(endpoint_id)
        row = await self.store.update_webhook_endpoint(endpoint_id, **changes)
        if row is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        return row

    async def disable(self, endpoint_id: int, reason: str = "disabled by an operator") -> None:
        await self.get(endpoint_id)
        await self.store.update_webhook_endpoint(
            endpoint_id, enabled=False, disabled_reason=reason[:MAX_DESCRIPTION]
        )

    async def delete(self, endpoint_id: int) -> None:
        if not await self.store.delete_webhook_endpoint(endpoint_id):
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")

    async def rotate(self, endpoint_id: int) -> Created:
        """A new secret; the old one keeps signing (beside it) for the configured overlap."""
        current = await self.get(endpoint_id)
        fresh = new_secret()
        rotated = SecretSet.parse(current.secret).rotate(
            fresh, datetime.now(UTC), keep_for=self.options.secret_overlap
        )
        row = await self.store.update_webhook_endpoint(endpoint_id, secret=rotated.dump())
        if row is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        return Created(row, fresh)
