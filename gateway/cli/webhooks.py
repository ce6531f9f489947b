"""``smm-gateway webhooks``: webhook endpoints of a running gateway, through /v1/webhooks."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer

from gateway.cli.output import console, emit, emit_one

app = typer.Typer(help="Webhook endpoints of a running gateway.", no_args_is_help=True)

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="SMM_GATEWAY_URL", help="The running gateway's base URL."),
]
KeyOption = Annotated[
    str,
    typer.Option("--key", envvar="SMM_GATEWAY_KEY", help="An admin API key of the gateway."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
DEFAULT_URL = "http://127.0.0.1:8080"


class RemoteError(ValueError):
    """The gateway refused or could not be reached; the message says which."""


def call(method: str, url: str, key: str, path: str, **kwargs: Any) -> Any:
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=30) as client:
            answer = client.request(
                method, path, headers={"Authorization": f"Bearer {key}"}, **kwargs
            )
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach the gateway at {url}: {type(exc).__name__}") from None
    try:
        body = answer.json()
    except ValueError:
        raise RemoteError(f"{url}{path} answered HTTP {answer.status_code}, not JSON") from None
    if answer.status_code >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        raise RemoteError(f"HTTP {answer.status_code}: {message or body}")
    return body


@app.command()
def add(
    target: Annotated[str, typer.Argument(help="The URL events are posted to.")],
    event: Annotated[
        list[str] | None, typer.Option(help="Event types to send (repeatable); default: all.")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Register an endpoint; its signing secret is shown this once."""
    body: dict[str, Any] = {"url": target, "description": description}
    if event:
        body["event_types"] = event
    created = call("POST", url, key, "/v1/webhooks", json=body)
    emit_one(created, as_json=as_json)
    if not as_json:
        console.print("Keep the secret now: it cannot be shown again.")


@app.command("list")
def list_endpoints(url: UrlOption = DEFAULT_URL, key: KeyOption = "",
                   as_json: JsonOption = False) -> None:  # fmt: skip
    """Every endpoint, without secrets."""
    rows = call("GET", url, key, "/v1/webhooks")["data"]
    if as_json:
        emit(rows, as_json=True)
        return
    shown = [{**r, "event_types": ",".join(r.get("event_types") or []) or "all"} for r in rows]
    columns = ["id", "url", "event_types", "enabled", "description"]
    emit(shown, as_json=False, title="Webhook endpoints", columns=columns)


@app.command()
def deliveries(
    endpoint: Annotated[int, typer.Argument(help="The endpoint's id.")],
    limit: Annotated[int, typer.Option()] = 50,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Recent deliveries to an endpoint: state, attempts, status codes."""
    rows = call("GET", url, key, f"/v1/webhooks/{endpoint}/deliveries", params={"limit": limit})
    emit(rows["data"], as_json=as_json, title=f"Deliveries to endpoint {endpoint}")
