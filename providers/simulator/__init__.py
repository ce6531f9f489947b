"""A complete simulated SMM panel speaking the v2 API, deterministic from a seed.

Used by the tests, the demo and the benchmarks::

    from providers.simulator import simulator

    with simulator(seed=1, profile="sloppy", faults="add:drop:0.1") as sim:
        ...  # talk to sim.url with sim.key; inspect sim.panel

Quality: each panel delivers by a `QualityPlan`, a named profile (`QUALITY_PROFILES`:
``default``, which is the catalog's own behaviour, ``reliable``, ``cheap_underdelivers``,
``underdelivers_refunds``, ``slow``, ``perfect``) plus `QualitySettings` overrides per service:
``delivered_fraction`` (average share a Partial order delivers, seeded spread
``delivered_spread``), ``partial_rate``, ``start_delay`` (seconds), ``speed`` (units an hour),
``refund_partial`` (refund the undelivered part, or keep the charge), ``refill_success`` and
``drop_rate`` (share of the delivered units lost within a day after the order ends)::

    simulator(seed=2, quality="cheap_underdelivers")
    simulator(seed=3, quality=QualityPlan("reliable", services={1234: QualitySettings(speed=50)}))

or ``--quality NAME --quality-service "1234:partial_rate=0.5,refund_partial=keep"`` on the
command line, or ``POST /_sim/quality`` while running. Outcomes follow from the seed, the order
id and the clock.

Modules: `clock` (simulated time), `templates` and `catalog` (services), `placing` and
`orders` (order rules and progress), `quality`, `quality_settings`, `quality_profiles` and
`drops` (how services deliver), `accounts` (keys and balances), `state` (the `Panel`),
`persist` (its state kept in a file), `call_windows` (a key's rate limit), `profiles` (dialects
as data), `problems` (what can go wrong, before a dialect words it), `ids` and `render` (answer
shapes), `faults` and `failures` (fault injection), `params`, `actions`, `control` and `app`
(HTTP), `server` (running it), `__main__` (the command line).
"""

from .app import create_app
from .catalog import SimService, generate_services
from .clock import Clock, ManualClock, ScaledClock
from .faults import Fault, FaultKind, FaultPlan, parse_faults
from .problems import PanelError, Problem
from .profiles import PROFILES, SimProfile, get_profile
from .quality import QUALITY_PROFILES, QualityPlan, QualitySettings, get_quality
from .server import SimulatorServer, build_panel, simulator
from .state import Panel

__all__ = [
    "PROFILES",
    "QUALITY_PROFILES",
    "Clock",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "ManualClock",
    "Panel",
    "PanelError",
    "Problem",
    "QualityPlan",
    "QualitySettings",
    "ScaledClock",
    "SimProfile",
    "SimService",
    "SimulatorServer",
    "build_panel",
    "create_app",
    "generate_services",
    "get_profile",
    "get_quality",
    "parse_faults",
    "simulator",
]
