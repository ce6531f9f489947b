"""``smm-gateway webhooks``: webhook endpoints of a running gateway, through /v1/webhooks."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gateway.cli.choices import id_argument, limit_option
from gateway.cli.common import JsonOption, remote_url
from gateway.cli.output import console, emit, emit_one
from gateway.cli.remote import KeyOption, call

app = typer.Typer(help="Webhook endpoints of a running gateway.", no_args_is_help=True)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="SMM_GATEWAY_URL", help="The running gateway's base URL."),
]


@app.command()
def add(
    target: Annotated[str, typer.Argument(help="The URL events are posted to.")],
    event: Annotated[
        list[str] | None, typer.Option(help="Event types to send (repeatable); default: all.")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
    url: UrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Register an endpoint; its signing secret is shown this once."""
    body: dict[str, Any] = {"url": target, "description": description}
    body["event_types"] = event or ["*"]  # the API wants a list: "*" is every event
    created = call("POST", remote_url(url), key, "/v1/webhooks", json=body)
    emit_one(created, as_json=as_json)
    if not as_json:
        console.print("Keep the secret now: it cannot be shown again.")


@app.command("list")
def list_endpoints(url: UrlOption = None, key: KeyOption = "",
                   as_json: JsonOption = False) -> None:  # fmt: skip
    """Every endpoint, without secrets."""
    rows = call("GET", remote_url(url), key, "/v1/webhooks")["data"]
    if as_json:
        emit(rows, as_json=True)
        return
    shown = [{**r, "event_types": ",".join(r.get("event_types") or []) or "all"} for r in rows]
    columns = ["id", "url", "event_types", "enabled", "description"]
    emit(shown, as_json=False, title="Webhook endpoints", columns=columns)


@app.command()
def deliveries(
    endpoint: Annotated[int, id_argument("The endpoint's id.")],
    limit: Annotated[int, limit_option("deliveries, newest first")] = 50,
    url: UrlOption = None,
    key: KeyOption = "",
    as_json: JsonOption = False,
) -> None:
    """Recent deliveries to an endpoint: state, attempts, status codes."""
    rows = call(
        "GET", remote_url(url), key, f"/v1/webhooks/{endpoint}/deliveries", params={"limit": limit}
    )
    emit(rows["data"], as_json=as_json, title=f"Deliveries to endpoint {endpoint}")
