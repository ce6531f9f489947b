"""One OS process of the cross-process account concurrency test.

    python -m tests.gateway.store.accounts_process DATABASE_URL ACCOUNT_ID COUNT PRICE

It opens the store, prints ``ready``, waits for a line on stdin so that every process starts at
once, then places COUNT orders of PRICE on the account, all concurrently, each as placement
does (order row and hold in one transaction), and prints one JSON line: how many were held,
how many refused for funds, and the class names of any other failure.
"""

from __future__ import annotations

import asyncio
import json
import sys
from decimal import Decimal

from gateway.accounts.errors import InsufficientFunds
from gateway.store import Store
from tests.gateway.store.accounts_helpers import placed


async def hold_all(url: str, account_id: int, count: int, price: Decimal) -> dict[str, object]:
    async with await Store.connect(url) as store:
        account = await store.account_by_id(account_id)
        assert account is not None
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        answers = await asyncio.gather(
            *(placed(store, account, price) for _ in range(count)), return_exceptions=True
        )
    refused = [a for a in answers if isinstance(a, InsufficientFunds)]
    failed = [type(a).__name__ for a in answers if isinstance(a, BaseException)]
    return {
        "held": count - len(failed),
        "refused": len(refused),
        "other": [name for name in failed if name != InsufficientFunds.__name__],
    }


def main(argv: list[str]) -> int:
    url, account_id, count, price = argv
    answer = asyncio.run(hold_all(url, int(account_id), int(count), Decimal(price)))
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
