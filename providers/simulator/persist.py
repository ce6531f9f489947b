"""A panel's state in a file, so a simulated panel restarted on the same file goes on where it
stopped: the same accounts, orders, refills and ids, and its simulated time no earlier.

>>> saved = PanelFile(path)            # doctest: +SKIP
>>> key = saved.key() or new_key       # the account the panel was serving
>>> saved.keep(panel)                  # restore, then save after every order, cancel, refill

The file is a pickle written by this process for itself (the demo's data folder): never point it
at a file from elsewhere.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

from .state import Panel

_FIELDS = (
    "_accounts", "_orders", "_refills", "_open_refill", "_last_by_link", "_settle_queue",
    "_next_order", "_next_refill",
)  # fmt: skip
VERSION = 1
_MOVED = {("providers.simulator.state", "Account"): ("providers.simulator.accounts", "Account")}
"""Classes a file names by an earlier home: `Account` lived in `state` until accounts had a
module of their own."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(*_MOVED.get((module, name), (module, name)))


class PanelFile:
    """Where one panel's state is kept."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any] | None:
        try:
            data = _Unpickler(io.BytesIO(self.path.read_bytes())).load()  # our own file, see above
        except FileNotFoundError:
            return None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        return data

    def key(self) -> str | None:
        """The API key of the first account saved, if there is a saved state."""
        data = self._read()
        accounts = data["state"]["_accounts"] if data else {}
        return next(iter(accounts), None)

    def restore(self, panel: Panel) -> bool:
        """Load the saved state into `panel`; False when there is none."""
        data = self._read()
        if data is None:
            return False
        with panel._lock:
            for name in _FIELDS:
                setattr(panel, name, data["state"][name])
            behind = float(data["now"]) - panel.clock.now()
            if behind > 0:
                panel.clock.advance(behind)
        return True

    def save(self, panel: Panel) -> None:
        """Write `panel`'s state (atomically: a crash leaves the old file or the new one)."""
        with panel._lock:
            state = {name: getattr(panel, name) for name in _FIELDS}
            blob = pickle.dumps({"version": VERSION, "now": panel.clock.now(), "state": state})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        with open(partial, "wb") as out:
            out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path)

    def keep(self, panel: Panel) -> None:
        """Restore `panel` from the file, then save it after each change."""
        self.restore(panel)
        self.save(panel)
        panel.on_change = lambda: self.save(panel)
