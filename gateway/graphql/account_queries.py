"""Client accounts for operators (``ops`` reads, ``admin`` writes in `account_mutations`):
``accounts``, ``account(name)``, ``marginReport(since, until)`` and ``ledgerProblems``. A client
reads its own account as ``viewer { account }``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry

from gateway.graphql.account_types import AccountNode, MarginRowNode
from gateway.graphql.context import Info
from gateway.graphql.errors import BadInput
from gateway.graphql.fields import field
from gateway.graphql.permissions import RequireOps

REPORT_DAYS = 30
"""What the margin report covers when `since` is not given."""
MAX_REPORT_DAYS = 366


@strawberry.type(description="The client accounts (ops or admin keys).")
class AccountQueries:
    @field("Every client account, by name (ops or admin keys).", permission_classes=[RequireOps])
    async def accounts(self, info: Info) -> list[AccountNode]:
        rows = await info.context.gateway.store.list_accounts()
        return [AccountNode.of(r) for r in sorted(rows, key=lambda r: r.name)]

    @field("One client account by name (ops or admin keys).", permission_classes=[RequireOps])
    async def account(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The account's name.")],
    ) -> AccountNode | None:
        row = await info.context.gateway.store.account(name.strip())
        return None if row is None else AccountNode.of(row)

    @field(
        "Revenue, cost and margin of settled client orders by account, provider and UTC day, "
        f"in the base currency; by default the last {REPORT_DAYS} days, at most "
        f"{MAX_REPORT_DAYS} (ops or admin keys).",
        permission_classes=[RequireOps],
    )
    async def margin_report(
        self,
        info: Info,
        since: Annotated[
            datetime | None, strawberry.argument(description="From this moment (UTC if no zone).")
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="Until this moment (default: now).")
        ] = None,
    ) -> list[MarginRowNode]:
        # DateTime inputs arrive in UTC (`gateway.graphql.scalars.parse_moment`).
        end = until if until is not None else datetime.now(UTC)
        try:
            start = since if since is not None else end - timedelta(days=REPORT_DAYS)
        except OverflowError:
            raise BadInput("until is too early for the default since", field="until") from None
        if start >= end:
            raise BadInput("since must be before until", field="since")
        if end - start > timedelta(days=MAX_REPORT_DAYS):
            raise BadInput(f"report at most {MAX_REPORT_DAYS} days at once", field="since")
        rows = await info.context.gateway.store.margin_report(start, end)
        return [MarginRowNode.of(r) for r in rows]

    @field(
        "What breaks the ledger's invariants, one sentence each: empty when every account's "
        "money adds up (ops or admin keys). An account past its credit limit is no such "
        "problem (an adjustment may take it there): its `available` is below 0.",
        permission_classes=[RequireOps],
    )
    async def ledger_problems(self, info: Info) -> list[str]:
        return await info.context.gateway.store.ledger_problems()
