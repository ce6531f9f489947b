"""Demand control: what an operation may cost, and what a key may spend.

After validation, before execution, each operation's static cost (`gateway.graphql.cost`) is
checked against the largest cost one operation may have, then spent from the caller's cost
budget (a moving window in the shared rate limiter: every instance counts it). A mutation
counts once per root field against the caller's request limit too, as that many ``/api/v2``
calls would: twenty aliased ``placeOrder`` are twenty requests. An operation at least
``heavy_cost`` dear waits for one of ``heavy_concurrency`` places in this process, so that light
requests are never queued behind many heavy ones.

A refusal is a GraphQL error whose extensions give the code and the cost::

    {"message": "...", "extensions": {"code": "COST_LIMIT", "cost": 16001, "maxCost": 10000}}
    {"message": "...", "extensions": {"code": "RATE_LIMITED", "cost": 9000, "retryAfter": 31}}

Answers from the response cache run nothing and spend nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSchema
from limits import RateLimitItem, parse
from strawberry.extensions import SchemaExtension

from gateway import metrics
from gateway.catalog import Snapshot
from gateway.graphql.cost import Cost, CostModel, Sizes
from gateway.graphql.cost_memo import CostMemo
from gateway.graphql.options import GraphQLOptions
from gateway.ratelimit import Decision, RateLimiter, identity

COST_LIMIT = "COST_LIMIT"
RATE_LIMITED = "RATE_LIMITED"


class DemandLimits:
    """What every request of one schema shares: its cost model, the budget, the heavy places."""

    def __init__(self, options: GraphQLOptions) -> None:
        self.options = options
        self.budget: RateLimitItem = parse(options.cost_budget)
        self._model: CostModel | None = None
        self._heavy: asyncio.Semaphore | None = None
        self._sizes: tuple[Snapshot, Sizes] | None = None
        self.costs = CostMemo()
        """Costs by operation and sizing variables (another page of a list costs the same)."""

    def sizes(self, snapshot: Snapshot) -> Sizes:
        """The list sizes the catalog bounds: a service's offers, at most the largest group's."""
        if self._sizes is None or self._sizes[0] is not snapshot:
            largest = max((len(g.members) for g in snapshot.groups.values()), default=0)
            self._sizes = (snapshot, {("Service", "members"): largest})
        return self._sizes[1]

    def model(self, schema: GraphQLSchema) -> CostModel:
        if self._model is None or self._model.schema is not schema:
            self._model = CostModel.of(schema, list_size=self.options.list_size)
        return self._model

    @property
    def heavy(self) -> asyncio.Semaphore:
        if self._heavy is None:
            self._heavy = asyncio.Semaphore(self.options.heavy_concurrency)
        return self._heavy


def _refusal(message: str, **extensions: Any) -> GraphQLExecutionResult:
    return GraphQLExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


def _seconds(decision: Decision) -> int:
    return int(decision.retry_after + 0.999)


class DemandControl(SchemaExtension):
    """Per request: refuse what costs too much or what the caller can no longer afford."""

    def __init__(self, limits: DemandLimits) -> None:
        self.limits = limits

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        if document is None or ec.result is not None:
            yield
            return
        sizes: Sizes = {}
        app = getattr(ec.context, "app", None)
        if app is not None:
            sizes = self.limits.sizes(await app.gateway.catalog.snapshot())
        model = self.limits.model(ec.schema._schema)
        cost = self.limits.costs.cost(model, document, ec.operation_name, ec.variables, sizes)
        ec.result = await self._refusal(cost)
        if ec.result is None and cost.total >= self.limits.options.heavy_cost:
            async with self.limits.heavy:
                yield
            return
        yield

    async def _refusal(self, cost: Cost) -> GraphQLExecutionResult | None:
        options = self.limits.options
        if cost.total > options.max_cost:
            return _refusal(
                f"The operation costs {cost.total}, more than the {options.max_cost} allowed: "
                "ask for smaller pages (first) or fewer fields.",
                code=COST_LIMIT, cost=cost.total, maxCost=options.max_cost,
            )  # fmt: skip
        context = self.execution_context.context
        limiter: RateLimiter | None = getattr(getattr(context, "app", None), "limiter", None)
        if limiter is None:
            return None
        principal = context.principal
        request = context.request
        address = request.client.host if request.client else "unknown"
        caller = identity(principal, address)
        if cost.mutation_fields > 1:
            # The request itself was counted at the door; each further mutation field counts.
            item = limiter.limit_for(principal.name) if principal else limiter.anonymous
            decision = await limiter.hit(caller, item, cost.mutation_fields - 1)
            if not decision.allowed:
                metrics.RATE_LIMITED.labels("graphql").inc()
                return _refusal(
                    f"Rate limit exceeded: {cost.mutation_fields} mutations count as as many "
                    f"requests, {decision.remaining} left of {decision.limit} per "
                    f"{decision.per}.",
                    code=RATE_LIMITED, cost=cost.total, mutations=cost.mutation_fields,
                    retryAfter=_seconds(decision),
                )  # fmt: skip
        if cost.total <= 0:
            return None
        decision = await limiter.hit(f"cost:{caller}", self.limits.budget, cost.total)
        if decision.allowed:
            return None
        metrics.RATE_LIMITED.labels("graphql").inc()
        return _refusal(
            f"Cost budget exceeded: the operation costs {cost.total}, {decision.remaining} "
            f"left of {decision.limit} per {decision.per}.",
            code=RATE_LIMITED, cost=cost.total, remaining=decision.remaining,
            retryAfter=_seconds(decision),
        )  # fmt: skip
