"""Per-request (or per-WebSocket-connection) context: who is calling, and the running core."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from gateway.auth import Principal
from gateway.context import AppContext
from gateway.core import Gateway
from gateway.graphql.account_prices import AccountPrices
from gateway.graphql.catalog_view import CatalogViews
from gateway.graphql.loaders import Loaders
from gateway.graphql.options import GraphQLOptions
from gateway.store import AccountRow

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id(given: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a sane token, else a fresh one."""
    if given and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


@dataclass
class Context:
    """What every resolver sees as ``info.context``."""

    request: Request | WebSocket
    response: Response | WebSocket | None
    app: AppContext
    options: GraphQLOptions
    principal: Principal | None
    request_id: str
    views: CatalogViews = field(default_factory=CatalogViews)
    """Derived catalog data, shared by every request of one endpoint."""
    account: AccountRow | None = None
    """The caller's client account, as it was when the request began (None for the operator's
    own keys)."""
    connection_params: dict[str, Any] | None = None
    """The WebSocket ``connection_init`` payload (set by the protocol handler)."""
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def gateway(self) -> Gateway:
        return self.app.gateway

    @property
    def prices(self) -> AccountPrices | None:
        """The caller's prices when it is a client account (None: the catalog's own)."""
        return None if self.account is None else self.views.prices.of(self.account)

    @property
    def loaders(self) -> Loaders:
        """This request's DataLoaders, made on first use."""
        if self._loaders is None:
            self._loaders = Loaders(self.gateway, self.principal)
        return self._loaders

    def fresh_loaders(self) -> None:
        """Forget what the loaders hold: a WebSocket connection outlives any one answer."""
        self._loaders = None


Info = StrawberryInfo[Context, None]
