"""The v2 actions: fields in, answer out, through one profile.

`Api.call` does the work of one call and returns the JSON-ready answer (or cached bytes for
``services``); refusals are raised as `PanelError` and rendered by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .params import split_ids
from .problems import PanelError, Problem
from .profiles import CancelStyle, SimProfile
from .render import Renderer
from .state import Panel

Fields = Mapping[str, str]
Answer = object

_NOT_ORDER_FIELDS = frozenset({"key", "action", "service"})


class Api:
    """The v2 endpoint's logic for one panel and one profile, without HTTP."""

    def __init__(self, panel: Panel, profile: SimProfile) -> None:
        self.panel = panel
        self.profile = profile
        self.render = Renderer(profile, salt=str(panel.seed))
        self._services: bytes | None = None
        self._rendered: object = None
        """The list `_services` was rendered from: a re-priced panel holds a new one."""
        self._actions: dict[str, Callable[[str, Fields], Answer]] = {
            "services": self.services,
            "add": self.add,
            "status": self.status,
            "refill": self.refill,
            "refill_status": self.refill_status,
            "cancel": self.cancel,
            "balance": self.balance,
        }

    def call(self, action: str, fields: Fields) -> Answer:
        """Authenticate, rate-limit and run `action`."""
        key = fields.get("key", "").strip()
        self.panel.account(key)
        self.panel.check_rate(key)
        handler = self._actions.get(action)
        if handler is None:
            raise PanelError(Problem.BAD_ACTION)
        return handler(key, fields)

    def _ids(self, text: str) -> list[str]:
        ids = split_ids(text)
        if not ids:
            raise PanelError(Problem.NO_IDS)
        if len(ids) > self.profile.max_batch:
            raise PanelError(Problem.TOO_MANY_IDS, limit=self.profile.max_batch)
        return ids

    def services(self, key: str, fields: Fields) -> Answer:
        # Rendered once: a 20,000-service list is the biggest answer a panel gives.
        listed = self.panel.services
        if self._services is None or self._rendered is not listed:
            self._services, self._rendered = self.render.services(listed), listed
        return self._services

    def add(self, key: str, fields: Fields) -> Answer:
        service_id = self.render.service_ids.decode(fields.get("service", ""))
        order_fields = {k: v for k, v in fields.items() if k not in _NOT_ORDER_FIELDS}
        order = self.panel.add(key, service_id, order_fields)
        return {"order": self.render.order_ids.encode(order.id)}

    def _status_of(self, key: str, text: str) -> dict[str, object]:
        order_id = self.render.order_ids.decode(text)
        return self.render.status(order_id or 0, self.panel.status(key, order_id))

    def status(self, key: str, fields: Fields) -> Answer:
        if "orders" in fields:
            answer: dict[str, object] = {}
            for text in self._ids(fields["orders"]):
                try:
                    answer[str(self.render.order_ids.echo(text))] = self._status_of(key, text)
                except PanelError as error:
                    answer[str(self.render.order_ids.echo(text))] = self.render.item_error(
                        error.problem, error.params
                    )
            return answer
        if fields.get("order", "").strip():
            return self._status_of(key, fields["order"])
        raise PanelError(Problem.NO_IDS)

    def refill(self, key: str, fields: Fields) -> Answer:
        ids = self.render.order_ids
        if "orders" in fields:
            answer: list[object] = []
            for text in self._ids(fields["orders"]):
                item: object
                try:
                    item = self.panel.refill(key, ids.decode(text))
                except PanelError as error:
                    item = self.render.item_error(error.problem, error.params)
                answer.append({"order": ids.echo(text), "refill": item})
            return answer
        if fields.get("order", "").strip():
            return self.render.refill_created(self.panel.refill(key, ids.decode(fields["order"])))
        raise PanelError(Problem.NO_IDS)

    def refill_status(self, key: str, fields: Fields) -> Answer:
        if "refills" in fields:
            answer: list[object] = []
            for text in self._ids(fields["refills"]):
                refill_id = _int(text)
                status: object
                try:
                    state = self.panel.refill_status(key, refill_id)
                    status = self.render.refill_status_text(state, refill_id or 0)
                except PanelError as error:
                    status = self.render.item_error(error.problem, error.params)
                answer.append({"refill": refill_id if refill_id is not None else text,
                               "status": status})  # fmt: skip
            return answer
        if fields.get("refill", "").strip():
            refill_id = _int(fields["refill"])
            state = self.panel.refill_status(key, refill_id)
            return {"status": self.render.refill_status_text(state, refill_id or 0)}
        raise PanelError(Problem.NO_IDS)

    def cancel(self, key: str, fields: Fields) -> Answer:
        ids = self.render.order_ids
        style = self.profile.cancel_style
        if style is CancelStyle.SINGLE:
            if "orders" in fields or not fields.get("order", "").strip():
                raise PanelError(Problem.NO_IDS)
            self.panel.cancel(key, ids.decode(fields["order"]))
            return {"cancel": 1}
        texts = self._ids(fields.get("orders") or fields.get("order", ""))
        outcomes: list[tuple[str, PanelError | None]] = []
        for text in texts:
            try:
                self.panel.cancel(key, ids.decode(text))
                outcomes.append((text, None))
            except PanelError as error:
                outcomes.append((text, error))
        if style is CancelStyle.CANCELED:
            return {"canceled": [ids.echo(text) for text, error in outcomes if error is None]}
        return [
            {
                "order": ids.echo(text),
                "cancel": 1
                if error is None
                else self.render.item_error(error.problem, error.params),
            }
            for text, error in outcomes
        ]

    def balance(self, key: str, fields: Fields) -> Answer:
        return self.render.balance(self.panel.balance(key), self.panel.currency)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 20 else None
