"""Talking to a running gateway: its REST management API and its GraphQL API."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer

from gateway.cli.output import fail

RemoteUrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="SMM_GATEWAY_URL",
        help="A running gateway's base URL: ask it instead of opening the configuration.",
    ),
]  # fmt: skip
KeyOption = Annotated[
    str,
    typer.Option("--key", envvar="SMM_GATEWAY_KEY", help="An API key of the running gateway."),
]


class RemoteError(ValueError):
    """The gateway refused or could not be reached; the message says which."""


NO_KEY = "no API key: give --key KEY or set SMM_GATEWAY_KEY (the demo prints the line to export)"


def call(method: str, url: str, key: str, path: str, **kwargs: Any) -> Any:
    """One JSON request to the gateway at `url`; errors become one-line `RemoteError`s, and a
    missing key a one-line usage error (exit 2)."""
    if not key.strip():
        fail(NO_KEY)
        raise typer.Exit(2)
    if not url.lower().startswith(("http://", "https://")):
        raise RemoteError(f"{url} is not a gateway URL: it starts with http:// or https://")
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=30) as client:
            answer = client.request(
                method, path, headers={"Authorization": f"Bearer {key}"}, **kwargs
            )
    except httpx.HTTPError as exc:
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise RemoteError(f"cannot reach the gateway at {url}: {why}") from None
    try:
        body = answer.json()
    except ValueError:
        raise RemoteError(f"{url}{path} answered HTTP {answer.status_code}, not JSON") from None
    if answer.status_code >= 400 and not (isinstance(body, dict) and "errors" in body):
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        raise RemoteError(f"HTTP {answer.status_code}: {message or body}")
    return body


def graphql(url: str, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The `data` of a GraphQL query; its first error as a `RemoteError`."""
    body = call("POST", url, key, "/graphql", json={"query": query, "variables": variables or {}})
    if body.get("errors"):
        raise RemoteError(str(body["errors"][0].get("message", body["errors"][0])))
    return body["data"]


def expect(answer: dict[str, Any], typename: str) -> dict[str, Any]:
    """`answer` if it is a `typename`; a typed failure (a ``UserError``) as a `RemoteError`."""
    if answer.get("__typename") != typename:
        raise RemoteError(str(answer.get("message") or answer.get("__typename")))
    return answer
