"""Reading panel answers: a 100-order multi-status answer, a single status and an ``add``.

::

    python -m bench.parsing
    python -m bench.parsing --rounds 7 --number 300

The answers are the bytes the simulator writes (seed: numbers as strings and integer ids;
sloppy: JSON numbers and 24-character hex ids), decoded as the v2 adapter decodes them. Each is
read by the current parsers and by the validating path (every field through pydantic, as all
answers were read before the status fast path), side by side in one run; the figures are
medians of the rounds, in microseconds per answer, and the ratio is validating / current. The
validating path shares the readers of `providers.values` (plain digits read without the locale
rules' scan), so it is faster than the parsers before the fast path were, and the ratio
understates the gain over them.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from time import perf_counter
from typing import Any

from providers import parsing
from providers.errors import ProviderError
from providers.models import OrderStatus
from providers.simulator.render import dumps, money_text

_TEXTS = ("Pending", "In progress", "Completed", "Partial", "Processing", "Canceled")


def _status(n: int, as_strings: bool) -> dict[str, object]:
    charge = Decimal(n % 997) / 1000 + Decimal("0.27819")
    start, remains = 1000 + n * 7, n % 50

    def count(value: int) -> object:
        return str(value) if as_strings else value

    return {
        "charge": money_text(charge) if as_strings else Decimal(money_text(charge)),
        "start_count": count(start),
        "status": _TEXTS[n % len(_TEXTS)],
        "remains": count(remains),
        "currency": "USD",
    }


def answers(as_strings: bool) -> tuple[list[str], bytes, bytes, bytes]:
    """Ids asked, the multi-status answer, a single status answer, an ``add`` answer."""
    ids = [str(23501 + n) if as_strings else f"{23501 + n:024x}" for n in range(100)]
    batch: dict[str, object] = {i: _status(n, as_strings) for n, i in enumerate(ids)}
    batch[ids[-1]] = {"error": "Incorrect order ID"}  # one unknown id, as in the wild
    order: object = 23501 if as_strings else ids[0]
    return ids, dumps(batch), dumps(_status(7, as_strings)), dumps({"order": order})


def decode(content: bytes) -> Any:
    """As `providers.v2` decodes an answer."""
    return json.loads(content, parse_float=Decimal)


def batch_validated(
    ids: list[str], answer: Any, currency: str
) -> dict[str, OrderStatus | ProviderError]:
    """`parsing.parse_status_batch` with every status through the validating path."""
    by_id = parsing._ids(answer.items())
    return {i: parsing.parse_status_validated(i, by_id[i], currency) for i in ids if i in by_id}


def _median_us(fn: Callable[[], object], rounds: int, number: int) -> float:
    times = []
    for _ in range(rounds):
        start = perf_counter()
        for _ in range(number):
            fn()
        times.append((perf_counter() - start) / number * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=200)
    args = parser.parse_args()
    rounds, number = args.rounds, args.number
    print(f"{'answer':<34} {'validating':>11} {'current':>9} {'ratio':>6}  (µs per answer)")
    for profile, as_strings in (("seed", True), ("sloppy", False)):
        ids, batch, single, added = answers(as_strings)
        b, s, a = decode(batch), decode(single), decode(added)
        assert repr(parsing.parse_status_batch(ids, b, "USD")) == repr(
            batch_validated(ids, b, "USD")
        )
        cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            (
                "100-order status",
                partial(batch_validated, ids, b, "USD"),
                partial(parsing.parse_status_batch, ids, b, "USD"),
            ),
            (
                "single status",
                partial(parsing.parse_status_validated, ids[0], s, "USD"),
                partial(parsing.parse_status, ids[0], s, "USD"),
            ),
            (
                "add",
                partial(parsing.parse_placed_validated, a),
                partial(parsing.parse_placed, a),
            ),
        ]
        for name, before, after in cases:
            slow = _median_us(before, rounds, number)
            fast = _median_us(after, rounds, number)
            print(f"{profile + ' ' + name:<34} {slow:>11.1f} {fast:>9.1f} {slow / fast:>5.2f}x")
        decoding = _median_us(partial(decode, batch), rounds, number)
        print(f"{profile + ' 100-order JSON decode (v2)':<34} {decoding:>11.1f}")


if __name__ == "__main__":
    main()
