"""A complete simulated SMM panel speaking the v2 API, deterministic from a seed.

Used by the tests, the demo and the benchmarks::

    from providers.simulator import simulator

    with simulator(seed=1, profile="sloppy", faults="add:drop:0.1") as sim:
        ...  # talk to sim.url with sim.key; inspect sim.panel

Modules: `clock` (simulated time), `templates` and `catalog` (services), `placing` and
`orders` (order rules and progress), `state` (the `Panel`), `profiles` (dialects as data), `ids`
and `render` (answer shapes), `faults` and `failures` (fault injection), `params`, `actions`,
`control` and `app` (HTTP), `server` (running it), `__main__` (the command line).
"""

from .app import create_app
from .catalog import SimService, generate_services
from .clock import Clock, ManualClock, ScaledClock
from .faults import Fault, FaultKind, FaultPlan, parse_faults
from .problems import PanelError, Problem
from .profiles import PROFILES, SimProfile, get_profile
from .server import SimulatorServer, build_panel, simulator
from .state import Panel

__all__ = [
    "PROFILES",
    "Clock",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "ManualClock",
    "Panel",
    "PanelError",
    "Problem",
    "ScaledClock",
    "SimProfile",
    "SimService",
    "SimulatorServer",
    "build_panel",
    "create_app",
    "generate_services",
    "get_profile",
    "parse_faults",
    "simulator",
]
