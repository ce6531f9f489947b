"""The static cost of an operation, computed from its document before it runs.

The model is the IBM cost directives' as Apollo Router's and Hive's demand control apply them:

- a field returning an object, interface or union costs 1 plus the cost of its selections; a
  scalar or enum field costs 0; `WEIGHTS` overrides a field's own cost;
- a list multiplies the cost of one element by its assumed size: the slicing argument
  (``first``/``last``, or its default page when omitted) for the ``edges`` and ``nodes`` of a
  connection, the length of an ``ids`` argument for the ``results`` of a batch payload, the
  sizes the data gives at the time (``sizes``: the largest unified service's offers), the
  assumed sizes of unpaged operator lists (`LIST_SIZES`: accounts, the margin report), else
  `CostModel.list_size`;
- every root mutation field adds `MUTATION_COST` (each one places or changes orders upstream);
- of the fragments that apply to different types of an abstract field, only the dearest counts
  (one object is only ever one of them);
- introspection is counted too, with the sizes of this schema's own lists (the number of types,
  and the mean number of fields, arguments, values per type rounded up), so nesting
  ``fields { type { fields ... } } }`` grows as it would run.

::

    model = CostModel.of(schema)                    # once per schema
    found = model.cost(document, operation_name, variables, sizes={("Service", "members"): 12})
    found.total, found.mutation_fields
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    VariableNode,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

from gateway.graphql.pagination import DEFAULT_PAGE
from gateway.graphql.quality_types import FIGURE_FIELDS

MUTATION_COST = 10
SLICING_ARGUMENTS = ("first", "last")
CONNECTION_SIZED_FIELDS = frozenset({"edges", "nodes"})
BATCH_ARGUMENT = "ids"
BATCH_SIZED_FIELDS = frozenset({"results"})
WEIGHTS: Mapping[tuple[str, str], int] = {
    # Routing weighs every provider's offer; balances may ask each panel.
    ("Query", "quote"): 5,
    ("Query", "balances"): 5,
    # Each spend figure is a query of its own.
    ("Account", "spendToday"): 1,
    ("Account", "spendThisMonth"): 1,
    # Pointers to type objects that exist anyway: only what is selected below them costs.
    ("__Type", "ofType"): 0,
    ("__Field", "type"): 0,
    ("__InputValue", "type"): 0,
    # Quality is one report read once per request (1 for each node that shows it); its
    # figures are values inside it.
    **{("Quality", name): 0 for name in FIGURE_FIELDS},
}
"""A field's own cost where 1 (or 0 for a leaf) understates it, by (type, field)."""
Sizes = Mapping[tuple[str, str], int]
"""List sizes by (type, field), where the data bounds them."""
LIST_SIZES: Sizes = {
    # Unpaged operator lists: what a busy reseller has (accounts; account x provider x day).
    ("Query", "accounts"): 50,
    ("Query", "marginReport"): 200,
}
"""Assumed sizes of lists that take no slicing argument and are not bounded by the data."""
INTROSPECTION_LISTS = ("fields", "inputFields", "enumValues", "args", "interfaces", "possibleTypes")


@dataclass(frozen=True, slots=True)
class Cost:
    """An operation's static cost, and how many root mutation fields it has."""

    total: int
    mutation_fields: int = 0


@dataclass(frozen=True, slots=True)
class CostModel:
    """How this schema's operations are costed; see the module's docstring."""

    schema: GraphQLSchema
    list_size: int = 10
    """The assumed size of a list with no slicing argument and no size of its own."""
    introspection_sizes: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, schema: GraphQLSchema, *, list_size: int = 10) -> CostModel:
        return cls(schema, list_size, _introspection_sizes(schema))

    def cost(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        sizes: Sizes | None = None,
    ) -> Cost:
        """The cost of the operation `operation_name` picks (the only one when None)."""
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1:
            return Cost(0)
        operation = operations[0]
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return Cost(0)
        given = dict(variables or {})
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in given and definition.default_value is not None:
                given[name] = value_from_ast_untyped(definition.default_value)
        walk = _Walk(self, document, given, sizes or {})
        total = walk.selections(operation.selection_set, root, sized=None)
        mutation_fields = 0
        if operation.operation is OperationType.MUTATION:
            mutation_fields = walk.root_fields(operation.selection_set)
            total += MUTATION_COST * mutation_fields
        return Cost(total, mutation_fields)


class _Walk:
    """One walk over a document (fragments resolved by name, variables at hand)."""

    def __init__(
        self, model: CostModel, document: DocumentNode, variables: dict[str, Any], sizes: Sizes
    ) -> None:
        self.model = model
        self.variables = variables
        self.sizes = sizes
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # Each fragment's cost (by the type it lands on and the size it is under) and root
        # field count, worked out once: a fragment spread twice by one spread twice... names
        # 2^depth copies of the last in a few hundred bytes, and walking each copy never ends.
        self._spent: dict[tuple[str, str, int | None], int] = {}
        self._roots: dict[str, int] = {}

    def root_fields(self, selection_set: SelectionSetNode) -> int:
        """Root fields, counted through fragments (each alias is a field of its own)."""
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += 0 if selection.name.value == "__typename" else 1
            elif isinstance(selection, InlineFragmentNode):
                count += self.root_fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment_roots(selection.name.value)
        return count

    def _fragment_roots(self, name: str) -> int:
        known = self._roots.get(name)
        if known is None:
            fragment = self.fragments.get(name)
            known = self.root_fields(fragment.selection_set) if fragment else 0
            self._roots[name] = known
        return known

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, sized: int | None
    ) -> int:
        """The fields on `parent`, plus the dearest of the fragments on narrower types."""
        common = 0
        narrower: dict[str, int] = {}
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                common += self.field(selection, parent, sized)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                name = condition.name.value if condition is not None else parent.name
                target = self.model.schema.get_type(name) or parent
                spent = self.selections(selection.selection_set, target, sized)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                name = fragment.type_condition.name.value
                target = self.model.schema.get_type(name) or parent
                spent = self._fragment(fragment, target, sized)
            else:
                continue
            if name == parent.name:
                common += spent
            else:
                narrower[name] = narrower.get(name, 0) + spent
        return common + max(narrower.values(), default=0)

    def _fragment(
        self, fragment: FragmentDefinitionNode, target: GraphQLNamedType, sized: int | None
    ) -> int:
        """The cost of `fragment`'s selections on `target` under `sized`, once per walk."""
        key = (fragment.name.value, target.name, sized)
        known = self._spent.get(key)
        if known is None:
            known = self._spent[key] = self.selections(fragment.selection_set, target, sized)
        return known

    def field(self, node: FieldNode, parent: GraphQLNamedType, sized: int | None) -> int:
        name = node.name.value
        definition = self._definition(parent, name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        own = WEIGHTS.get((parent.name, name), 1 if is_composite_type(named) else 0)
        inner_sized = self._inner_size(definition, node)
        children = 0
        if node.selection_set is not None:
            children = self.selections(node.selection_set, named, inner_sized)
        per_item = own + children
        for _ in range(_list_depth(definition.type)):
            per_item *= self._list_size(parent, name, sized)
        return per_item

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent is self.model.schema.query_type and name == "__schema":
            return SchemaMetaFieldDef
        if parent is self.model.schema.query_type and name == "__type":
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if isinstance(fields, dict) else None

    def _argument(self, definition: GraphQLField, node: FieldNode, name: str) -> Any:
        """An argument's value as given (a literal or a variable), else its default."""
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, VariableNode):
                    return self.variables.get(value.name.value)
                return value_from_ast_untyped(value, self.variables)
        default = definition.args[name].default_value
        return None if default is Undefined else default

    def _inner_size(self, definition: GraphQLField, node: FieldNode) -> int | None:
        """The size a slicing or batch argument gives the sized lists just below this field."""
        for slicing in SLICING_ARGUMENTS:
            if slicing in definition.args:
                given = self._argument(definition, node, slicing)
                # A bad value fails at execution; the default page stands in for the estimate.
                return max(0, given) if isinstance(given, int) else DEFAULT_PAGE
        if BATCH_ARGUMENT in definition.args:
            ids = self._argument(definition, node, BATCH_ARGUMENT)
            return len(ids) if isinstance(ids, list) else 1
        return None

    def _list_size(self, parent: GraphQLNamedType, name: str, sized: int | None) -> int:
        if sized is not None and name in CONNECTION_SIZED_FIELDS | BATCH_SIZED_FIELDS:
            return sized
        if parent.name.startswith("__"):
            return self.model.introspection_sizes.get(name, self.model.list_size)
        if parent is self.model.schema.query_type and name == "__schema":
            return 1
        key = (parent.name, name)
        return self.sizes.get(key, LIST_SIZES.get(key, self.model.list_size))


def _list_depth(type_: GraphQLOutputType) -> int:
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            depth += 1
        type_ = type_.of_type
    return depth


def _introspection_sizes(schema: GraphQLSchema) -> dict[str, int]:
    """This schema's introspection lists: exact for ``types`` and ``directives``, the mean
    (rounded up) per type or field for the rest."""
    types = [t for name, t in schema.type_map.items() if not name.startswith("__")]
    found: dict[str, list[int]] = {name: [] for name in INTROSPECTION_LISTS}
    for type_ in types:
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            found["fields"].append(len(type_.fields))
            found["interfaces"].append(len(type_.interfaces))
            found["args"].extend(len(f.args) for f in type_.fields.values())
        elif isinstance(type_, GraphQLInputObjectType):
            found["inputFields"].append(len(type_.fields))
        elif isinstance(type_, GraphQLEnumType):
            found["enumValues"].append(len(type_.values))
        if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            found["possibleTypes"].append(len(schema.get_possible_types(type_)))
    sizes = {name: max(1, math.ceil(sum(counts) / len(counts))) if counts else 1
             for name, counts in found.items()}  # fmt: skip
    sizes["types"] = len(schema.type_map)
    sizes["directives"] = len(schema.directives)
    return sizes
