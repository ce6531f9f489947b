"""``/v1/openapi.json`` describes exactly the live ``/v1`` routes, and is served as written."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from gateway.app import create_app
from gateway.config import Settings
from gateway.rest.openapi import PATH, document
from tests.gateway.rest.conftest import Keys

METHODS = {"get", "post", "put", "patch", "delete"}


def live_operations(app: Starlette) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/v1"):
            found |= {(route.path, m.lower()) for m in route.methods or () if m != "HEAD"}
    return found


def documented_operations() -> set[tuple[str, str]]:
    paths = document()["paths"]
    return {(path, method) for path, item in paths.items() for method in item if method in METHODS}


def test_every_v1_route_is_documented_and_nothing_else(settings: Settings) -> None:
    live = live_operations(create_app(settings, background=False))
    assert ("/v1/webhooks", "post") in live
    assert live == documented_operations()


def test_every_operation_answers_errors_and_refusals_in_the_documented_shape() -> None:
    paths = document()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            if path == PATH:
                continue
            answers = operation["responses"]
            assert {"401", "403", "429"} <= set(answers), (method, path)
            if "{endpoint_id}" in path:
                assert "404" in answers, (method, path)
                names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
                assert "endpoint_id" in names


async def test_the_document_is_served(client: httpx.AsyncClient, keys: Keys) -> None:
    served = await client.get(PATH)
    assert served.status_code == 200
    assert served.json() == document()
    assert served.json()["openapi"] == "3.1.0"
