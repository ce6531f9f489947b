"""A panel kept in a file: restarted on it, the same accounts, orders, ids and time."""

from __future__ import annotations

import pickle
from decimal import Decimal
from pathlib import Path

from providers.models import OrderState
from providers.simulator import ManualClock, Panel, generate_services
from providers.simulator.persist import PanelFile

KEY = "k" * 32
FIELDS = {"link": "https://instagram.com/p/x", "quantity": "1000"}


def fresh() -> Panel:
    return Panel(generate_services(seed=5, size=40), clock=ManualClock(), seed=5, keys=[KEY])


def cheapest_default(panel: Panel) -> int:
    return next(s.id for s in panel.services if s.type.value == "Default" and s.min <= 1000)


def test_a_restarted_panel_goes_on_where_it_stopped(tmp_path: Path) -> None:
    saved = PanelFile(tmp_path / "panels" / "alpha.state")
    assert saved.key() is None
    panel = fresh()
    saved.keep(panel)
    service = cheapest_default(panel)
    first = panel.add(KEY, service, FIELDS)
    panel.advance(600)
    balance = panel.balance(KEY)
    saved.save(panel)  # as the demo does when it stops

    again = fresh()
    assert saved.key() == KEY
    assert saved.restore(again)
    assert again.clock.now() >= 600
    assert again.balance(KEY) == balance
    assert again.status(KEY, first.id).state == panel.status(KEY, first.id).state
    second = again.add(KEY, service, {**FIELDS, "link": "https://instagram.com/p/y"})
    assert second.id == first.id + 1, "ids go on from the saved panel's"
    assert fresh().add(KEY, service, FIELDS).id == first.id, "a fresh panel would reuse it"


def test_a_cancel_is_kept_too(tmp_path: Path) -> None:
    saved = PanelFile(tmp_path / "beta.state")
    panel = fresh()
    saved.keep(panel)
    service = next(s.id for s in panel.services if s.cancel and s.min <= 1000
                   and s.type.value == "Default")  # fmt: skip
    placed = panel.add(KEY, service, FIELDS)
    panel.cancel(KEY, placed.id)
    again = fresh()
    saved.restore(again)
    assert again.status(KEY, placed.id).state is OrderState.CANCELED
    assert again.balance(KEY) == Decimal(1000)


def test_a_file_saved_before_accounts_moved_out_of_state_still_restores(tmp_path: Path) -> None:
    path = tmp_path / "gamma.state"
    panel = fresh()
    PanelFile(path).save(panel)
    # Written as before `Account` moved to `providers.simulator.accounts` (protocol 2 names
    # classes in plain text, so the old home can be put back in place).
    blob = pickle.dumps(pickle.loads(path.read_bytes()), protocol=2)
    moved = b"cproviders.simulator.accounts\nAccount\n"
    assert moved in blob
    path.write_bytes(blob.replace(moved, b"cproviders.simulator.state\nAccount\n"))

    saved = PanelFile(path)
    assert saved.key() == KEY
    again = fresh()
    assert saved.restore(again)
    assert again.balance(KEY) == Decimal(1000)
