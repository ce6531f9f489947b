"""Fault injection: the ways a real panel fails, on demand and reproducibly.

A `FaultPlan` holds `Fault` rules and a seeded RNG; for each call it decides the added latency
and at most one failure. Rules are tried in order, so put rare failures first.

>>> plan = FaultPlan(parse_faults("add:drop:0.1,status:5xx:0.05,*:latency:200"), seed=1)
>>> plan.decide("add").latency_ms
200.0
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    """What goes wrong."""

    LATENCY = "latency"
    """Adds ``ms`` milliseconds (param ``ms``) to the call; does not fail it."""
    ERROR = "error"
    """``{"error": "Internal server error"}``, or param ``text``, with HTTP 200 or param
    ``status``."""
    TIMEOUT = "timeout"
    """No answer for ``seconds`` (default 30), so the client times out."""
    HTTP_5XX = "http_5xx"
    """HTTP 502 or 503 (param ``status``) with an HTML body."""
    HTML = "html"
    """HTTP 200 with a Cloudflare-like ``text/html`` page."""
    MALFORMED = "malformed"
    """HTTP 200 with the answer's JSON cut short."""
    THROTTLE = "throttle"
    """HTTP 429 with ``Retry-After`` (param ``retry_after``, default 60)."""
    DROP = "drop"
    """The call takes effect, then the connection closes mid-answer."""
    REDIRECT = "redirect"
    """HTTP 307 (param ``status``) to param ``location``, as a moved panel's web server does."""
    HOLD = "hold"
    """Holds the call until `FaultPlan.release` (at most ``seconds``, default 30); does not fail
    it. Lets a test act while a call is known to be in flight."""


_ALIASES = {
    "5xx": FaultKind.HTTP_5XX,
    "502": FaultKind.HTTP_5XX,
    "503": FaultKind.HTTP_5XX,
    "429": FaultKind.THROTTLE,
    "cloudflare": FaultKind.HTML,
    "truncated": FaultKind.MALFORMED,
}

# Kinds that delay a call without failing it: they combine with one failure.
_PASSING = frozenset({FaultKind.LATENCY, FaultKind.HOLD})

# Whether the panel does the work before failing, unless a fault's `process` param says.
# A dropped or garbled answer comes from a panel that did the work; a 5xx from one that did not.
PROCESSES_BY_DEFAULT = frozenset({FaultKind.DROP, FaultKind.MALFORMED})


@dataclass(frozen=True, slots=True)
class Fault:
    """One rule: `kind` on calls of `actions` (``None``: all), with probability `rate`, at most
    `count` times (``None``: unlimited).

    ``Fault(FaultKind.DROP, actions={"add"}, count=1)`` drops the next `add`'s answer after
    placing the order.
    """

    kind: FaultKind
    actions: frozenset[str] | None = None
    rate: float = 1.0
    count: int | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", parse_kind(self.kind))
        if self.actions is not None:
            object.__setattr__(self, "actions", frozenset(self.actions))
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, not {self.rate}")

    def matches(self, action: str) -> bool:
        return self.actions is None or action in self.actions

    @property
    def processes(self) -> bool:
        """Whether the call takes effect despite the fault."""
        value = self.params.get("process")
        if value is None:
            return self.kind in PROCESSES_BY_DEFAULT
        return str(value).strip().lower() in ("1", "true", "yes", "on")

    def number(self, name: str, default: float) -> float:
        """A numeric param, or `default`."""
        value = self.params.get(name)
        return default if value is None else float(str(value))


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do to one call: wait `latency_ms`, then fail with `fault` (or not)."""

    latency_ms: float = 0.0
    fault: Fault | None = None
    status: int = 502
    """The status of an HTTP 5xx fault."""
    hold: float | None = None
    """Seconds at most to hold the call until released, when a hold fault applies."""


@dataclass(slots=True)
class _Rule:
    fault: Fault
    left: int | None


class FaultPlan:
    """The active faults of a simulator, changeable while it runs (thread-safe)."""

    def __init__(
        self, faults: Iterable[Fault] = (), *, seed: int = 0, latency_ms: float = 0.0
    ) -> None:
        self.latency_ms = latency_ms
        """Added to every call."""
        self._rng = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._released = threading.Event()
        self.fired: dict[FaultKind, int] = {}
        """How many times each kind has fired."""
        for fault in faults:
            self.add(fault)

    @property
    def faults(self) -> list[Fault]:
        """The rules still active."""
        with self._lock:
            return [rule.fault for rule in self._rules]

    def add(self, fault: Fault) -> None:
        """Append a rule."""
        with self._lock:
            if fault.kind is FaultKind.HOLD:
                self._released.clear()
            self._rules.append(_Rule(fault, fault.count))

    def release(self) -> None:
        """Let every held call go on (and later ones, until a hold fault is added again)."""
        self._released.set()

    def wait_released(self, seconds: float) -> bool:
        """Block until `release` or `seconds`; True if released."""
        return self._released.wait(seconds)

    def clear(self) -> None:
        """Remove every rule (the global latency stays)."""
        with self._lock:
            self._rules.clear()

    def decide(self, action: str) -> Decision:
        """Latency and failure for one call of `action`."""
        with self._lock:
            latency = self.latency_ms
            hold: float | None = None
            chosen: Fault | None = None
            for rule in list(self._rules):
                fault = rule.fault
                if not fault.matches(action):
                    continue
                if fault.kind not in _PASSING and chosen is not None:
                    continue
                if self._rng.random() >= fault.rate:
                    continue
                if fault.kind is FaultKind.LATENCY:
                    latency += fault.number("ms", 0.0)
                elif fault.kind is FaultKind.HOLD:
                    hold = fault.number("seconds", 30.0)
                else:
                    chosen = fault
                self.fired[fault.kind] = self.fired.get(fault.kind, 0) + 1
                if rule.left is not None:
                    rule.left -= 1
                    if rule.left <= 0:
                        self._rules.remove(rule)
            status = 502
            if chosen is not None and chosen.kind is FaultKind.HTTP_5XX:
                status = int(chosen.number("status", self._rng.choice((502, 503))))
            return Decision(latency_ms=latency, fault=chosen, status=status, hold=hold)


def parse_kind(text: str) -> FaultKind:
    """A fault kind from its name or an alias (``5xx``, ``429``...)."""
    name = str(text).strip().lower()
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        return FaultKind(name)
    except ValueError:
        known = ", ".join([*FaultKind, *_ALIASES])
        raise ValueError(f"unknown fault kind {text!r}; known kinds: {known}") from None


def parse_fault(text: str) -> Fault:
    """One rule from ``ACTIONS:KIND[:VALUE[:COUNT]][:NAME=VALUE...]``.

    ACTIONS is ``*`` or actions joined by ``+`` (``status+refill``). VALUE is the milliseconds of
    a latency and the probability of anything else (default 1). Examples: ``add:drop:0.1``,
    ``*:latency:200``, ``add:timeout:1:1:seconds=5``, ``status:5xx:0.5:status=503``.
    """
    parts = [p.strip() for p in text.strip().split(":")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(f"fault {text!r}: expected ACTIONS:KIND[:VALUE[:COUNT]]")
    kind = parse_kind(parts[1])
    actions = None if parts[0] == "*" else frozenset(a for a in parts[0].split("+") if a)
    params: dict[str, object] = {}
    positional: list[str] = []
    for part in parts[2:]:
        if "=" in part:
            name, _, setting = part.partition("=")
            params[name.strip()] = setting.strip()
        elif part:
            positional.append(part)
    try:
        value = float(positional[0]) if positional else None
        count = int(positional[1]) if len(positional) > 1 else None
    except ValueError:
        raise ValueError(f"fault {text!r}: VALUE and COUNT must be numbers") from None
    rate = 1.0
    if kind is FaultKind.LATENCY:
        params.setdefault("ms", value if value is not None else 0.0)
    elif value is not None:
        rate = value
    return Fault(kind, actions=actions, rate=rate, count=count, params=params)


def parse_faults(spec: str) -> list[Fault]:
    """Rules from a comma-separated spec: ``"add:drop:0.1,status:5xx:0.05,*:latency:200"``."""
    return [parse_fault(part) for part in spec.split(",") if part.strip()]
