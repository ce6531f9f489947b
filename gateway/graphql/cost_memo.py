"""Operation costs remembered: the same operation with the same sizing variables costs the same.

`CostModel.cost` walks the whole operation on every request. What it reads of the variables is
only the values of the sizing arguments (``first``, ``last``, ``ids``): requests for other pages
of one list (another ``after``) cost the same. So a cost is kept under the parsed document
(the same object for every request of a query, through the parser cache; compared by identity),
the operation's name, the values of the variables that appear in a sizing argument anywhere in
the document, and the list sizes the catalog gives.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from graphql import DocumentNode, FieldNode, Node, VariableNode

from gateway.graphql.cost import BATCH_ARGUMENT, SLICING_ARGUMENTS, Cost, CostModel, Sizes

REMEMBERED = 256
_SIZING = frozenset({*SLICING_ARGUMENTS, BATCH_ARGUMENT})


def _nodes(node: Node) -> Iterator[Node]:
    """`node` and every node below it."""
    yield node
    for key in node.keys:
        value = getattr(node, key, None)
        if isinstance(value, Node):
            yield from _nodes(value)
        elif isinstance(value, tuple | list):
            for item in value:
                if isinstance(item, Node):
                    yield from _nodes(item)


def sizing_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables given to a sizing argument anywhere in `document` (inside lists and
    objects too)."""
    names: set[str] = set()
    for node in _nodes(document):
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value in _SIZING:
                    names.update(
                        v.name.value for v in _nodes(argument.value) if isinstance(v, VariableNode)
                    )
    return tuple(sorted(names))


class CostMemo:
    """The costs of the operations seen lately (`REMEMBERED`), for one cost model."""

    def __init__(self) -> None:
        self._sizing: OrderedDict[int, tuple[DocumentNode, tuple[str, ...]]] = OrderedDict()
        self._costs: OrderedDict[Hashable, tuple[DocumentNode, CostModel, Cost]] = OrderedDict()

    def cost(
        self,
        model: CostModel,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        sizes: Sizes,
    ) -> Cost:
        """`model.cost(document, operation_name, variables, sizes)`, remembered."""
        found = self._sizing.get(id(document))
        if found is None or found[0] is not document:
            found = (document, sizing_variables(document))
            _bounded(self._sizing, id(document), found)
        given = variables or {}
        try:
            read = json.dumps([[name in given, given.get(name)] for name in found[1]])
        except (TypeError, ValueError):
            return model.cost(document, operation_name, variables, sizes)
        key = (id(model), id(document), operation_name, read, tuple(sorted(sizes.items())))
        kept = self._costs.get(key)
        if kept is not None and kept[0] is document and kept[1] is model:
            self._costs.move_to_end(key)
            return kept[2]
        cost = model.cost(document, operation_name, variables, sizes)
        _bounded(self._costs, key, (document, model, cost))
        return cost


def _bounded(memo: OrderedDict[Any, Any], key: Hashable, value: Any) -> None:
    memo[key] = value
    memo.move_to_end(key)
    while len(memo) > REMEMBERED:
        memo.popitem(last=False)
