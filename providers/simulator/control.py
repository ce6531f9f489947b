"""Control endpoints under ``/_sim/``, for tests, the demo and benchmarks.

=======================  ===========================================================
``POST /_sim/clock/advance``  ``{"seconds": N}``: move simulated time forward
``GET /_sim/faults``          the active fault rules
``POST /_sim/faults``         ``{"kind", "actions", "rate", "count", "params"}`` or ``{"spec"}``
``DELETE /_sim/faults``       remove every fault rule
``POST /_sim/faults/release`` let the calls a ``hold`` fault holds go on
``GET /_sim/stats``           calls per action, orders and refills placed, simulated time
``POST /_sim/accounts``       ``{"key": ..., "balance": "..."}``: create a key or set its balance
``GET /_sim/orders/{id}``     everything about one order (the profile's id, or the integer)
``POST /_sim/services/{id}``  ``{"rate": "..."}``: re-price a service (the profile's id)
``GET /_sim/quality``         the quality plan: profile, changes, effective settings, overrides
``POST /_sim/quality``        ``{"profile", "settings", "services": {id: {...}}}``: replace it
``GET /_sim/orders/{id}``     also reports the order's ``dropped`` units
=======================  ===========================================================

A new quality plan applies to orders placed (and refills requested) after it; ``profile``
defaults to the current one, ``settings`` and ``services`` to none.

Answers are JSON; a bad request is HTTP 400 ``{"error": ...}``.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .actions import Api
from .faults import Fault, FaultPlan, parse_faults, parse_kind
from .problems import PanelError
from .quality import QualityPlan, QualitySettings
from .render import dumps, money_text


def _reply(value: object, status: int = 200) -> Response:
    return Response(dumps(value), status_code=status, media_type="application/json")


class _BadInput(Exception):
    pass


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _BadInput("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise _BadInput("the body must be a JSON object")
    return data


def _fault(data: dict[str, Any]) -> list[Fault]:
    if "spec" in data:
        return parse_faults(str(data["spec"]))
    actions = data.get("actions")
    if isinstance(actions, str):
        actions = None if actions == "*" else [actions]
    count = data.get("count")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError("params must be an object")
    return [
        Fault(
            parse_kind(str(data.get("kind", ""))),
            actions=None if actions is None else frozenset(str(a) for a in actions),
            rate=float(data.get("rate", 1.0)),
            count=None if count is None else int(count),
            params=params,
        )
    ]


def _describe(fault: Fault) -> dict[str, object]:
    return {
        "kind": fault.kind.value,
        "actions": None if fault.actions is None else sorted(fault.actions),
        "rate": str(fault.rate),
        "count": fault.count,
        "params": {k: str(v) for k, v in fault.params.items()},
    }


def _settings(value: object, name: str) -> QualitySettings:
    if not isinstance(value, dict):
        raise _BadInput(f"{name} must be an object of quality settings")
    return QualitySettings.from_mapping(value)


def _plan(api: Api, data: dict[str, Any]) -> QualityPlan:
    services = data.get("services") or {}
    if not isinstance(services, dict):
        raise _BadInput("services must be an object keyed by service id")
    overrides: dict[int, QualitySettings] = {}
    for text, value in services.items():
        service_id = api.render.service_ids.decode(text)
        if service_id is None and text.isascii() and text.isdigit() and len(text) < 20:
            service_id = int(text)
        service = api.panel.service(service_id)  # PanelError(BAD_SERVICE) if not listed
        overrides[service.id] = _settings(value, f"services[{text!r}]")
    return QualityPlan(
        str(data.get("profile") or api.panel.quality.profile),
        settings=_settings(data.get("settings") or {}, "settings"),
        services=overrides,
    )


def _describe_plan(api: Api) -> dict[str, object]:
    plan = api.panel.quality
    return {
        "profile": plan.profile,
        "settings": plan.settings.describe(),
        "effective": plan.base.describe(),
        "services": {
            str(api.render.service_ids.encode(service_id)): settings.describe()
            for service_id, settings in sorted(plan.services.items())
        },
    }


def control_routes(api: Api, faults: FaultPlan) -> list[BaseRoute]:
    """The ``/_sim/`` routes for one simulator."""
    panel = api.panel

    async def advance(request: Request) -> Response:
        try:
            seconds = float((await _body(request)).get("seconds", 0))
            now = panel.advance(seconds)
        except (_BadInput, TypeError, ValueError) as error:
            return _reply({"error": str(error) or "bad seconds"}, 400)
        return _reply({"now": Decimal(repr(now))})

    async def list_faults(request: Request) -> Response:
        return _reply({"faults": [_describe(f) for f in faults.faults]})

    async def add_fault(request: Request) -> Response:
        try:
            for fault in _fault(await _body(request)):
                faults.add(fault)
        except (_BadInput, TypeError, ValueError) as error:
            return _reply({"error": str(error)}, 400)
        return _reply({"faults": [_describe(f) for f in faults.faults]})

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return _reply({"faults": []})

    async def release(request: Request) -> Response:
        faults.release()
        return _reply({"released": True})

    async def stats(request: Request) -> Response:
        return _reply(
            {
                "calls": dict(panel.calls),
                "orders": panel.order_count,
                "refills": panel.refill_count,
                "faults_fired": {k.value: n for k, n in faults.fired.items()},
                "now": Decimal(repr(panel.clock.now())),
            }
        )

    async def account(request: Request) -> Response:
        try:
            data = await _body(request)
            key = str(data.get("key") or "").strip()
            if not key:
                raise _BadInput("key is required")
            balance = data.get("balance")
            amount = None if balance is None else Decimal(str(balance))
            result = panel.set_account(key, amount)
        except (_BadInput, InvalidOperation) as error:
            return _reply({"error": str(error) or "bad balance"}, 400)
        return _reply({"key": result.key, "balance": money_text(panel.balance(key))})

    async def order(request: Request) -> Response:
        text = request.path_params["order_id"]
        order_id = api.render.order_ids.decode(text)
        if order_id is None and text.isascii() and text.isdigit() and len(text) < 20:
            order_id = int(text)
        found = panel.order(order_id) if order_id is not None else None
        if found is None:
            return _reply({"error": "Incorrect order ID"}, 404)
        view = panel.status(found.key, found.id)
        return _reply(
            {
                "order": api.render.order_ids.encode(found.id),
                "id": found.id,
                "key": found.key,
                "service": found.service.id,
                "type": found.service.type.value,
                "fields": found.fields,
                "quantity": found.quantity,
                "runs": found.runs,
                "interval": found.interval,
                "cost": money_text(found.cost),
                "charge": money_text(view.charge),
                "status": view.state.value,
                "start_count": view.start_count,
                "delivered": view.delivered,
                "remains": view.remains,
                "dropped": panel.dropped(found.id),
                "currency": view.currency,
            }
        )

    async def reprice(request: Request) -> Response:
        service_id = api.render.service_ids.decode(request.path_params["service_id"])
        try:
            rate = Decimal(str((await _body(request)).get("rate")))
            service = panel.set_rate(service_id, rate)
        except (_BadInput, InvalidOperation, ValueError) as error:
            return _reply({"error": str(error) or "bad rate"}, 400)
        except PanelError:
            return _reply({"error": "Incorrect service ID"}, 404)
        return _reply({"service": request.path_params["service_id"], "rate": service.rate})

    async def get_quality(request: Request) -> Response:
        return _reply(_describe_plan(api))

    async def set_quality(request: Request) -> Response:
        try:
            panel.quality = _plan(api, await _body(request))
        except (_BadInput, ValueError) as error:
            return _reply({"error": str(error)}, 400)
        except PanelError:
            return _reply({"error": "Incorrect service ID"}, 404)
        return _reply(_describe_plan(api))

    return [
        Route("/_sim/quality", get_quality, methods=["GET"]),
        Route("/_sim/quality", set_quality, methods=["POST"]),
        Route("/_sim/services/{service_id}", reprice, methods=["POST"]),
        Route("/_sim/clock/advance", advance, methods=["POST"]),
        Route("/_sim/faults", list_faults, methods=["GET"]),
        Route("/_sim/faults", add_fault, methods=["POST"]),
        Route("/_sim/faults", clear_faults, methods=["DELETE"]),
        Route("/_sim/faults/release", release, methods=["POST"]),
        Route("/_sim/stats", stats, methods=["GET"]),
        Route("/_sim/accounts", account, methods=["POST"]),
        Route("/_sim/orders/{order_id}", order, methods=["GET"]),
    ]
