"""The vocabulary every layer shares: money, ids, service types, order fields and statuses.

Panels send numbers as strings or numbers, booleans in half a dozen spellings and ids that may
be integers or opaque strings. The models accept all of that and hold one canonical form:
ids are ``str``, counts are ``int`` (unbounded), money is ``Decimal`` with its currency, and every
status keeps the panel's raw text beside a normalised enum.

One module a concept, all imported from here:

- `providers.values`: reading numbers, flags and ids (`to_decimal`, `Amount`, `Id`, ...);
- `providers.money`: `Money`, `Balance`, `PER`;
- `providers.services`: `ServiceType`, the fields each type takes, `Service`;
- `providers.order_request`: `OrderRequest`;
- `providers.answers`: `OrderState`, `OrderStatus`, `RefillState`, `RefillStatus`,
  `PlacedOrder`, `Refill`, `CancelResult`.
"""

from __future__ import annotations

from providers.answers import (
    CancelResult,
    OrderState,
    OrderStatus,
    PlacedOrder,
    Refill,
    RefillState,
    RefillStatus,
)
from providers.money import PER, Balance, Money
from providers.order_request import (
    Handle,
    HandleLines,
    Lines,
    Link,
    NonNegativeCount,
    OrderRequest,
    PositiveCount,
    Text,
    TextLines,
)
from providers.services import (
    OPTIONAL_FIELDS,
    ORDER_FIELDS,
    PACKAGE_TYPES,
    REQUIRED_FIELDS,
    Service,
    ServiceType,
)
from providers.values import (
    Amount,
    Count,
    Flag,
    Id,
    OptionalCount,
    OrderId,
    RefillId,
    ServiceId,
    to_bool,
    to_decimal,
    to_id,
    to_int,
    to_optional_int,
)

__all__ = [
    "OPTIONAL_FIELDS",
    "ORDER_FIELDS",
    "PACKAGE_TYPES",
    "PER",
    "REQUIRED_FIELDS",
    "Amount",
    "Balance",
    "CancelResult",
    "Count",
    "Flag",
    "Handle",
    "HandleLines",
    "Id",
    "Lines",
    "Link",
    "Money",
    "NonNegativeCount",
    "OptionalCount",
    "OrderId",
    "OrderRequest",
    "OrderState",
    "OrderStatus",
    "PlacedOrder",
    "PositiveCount",
    "Refill",
    "RefillId",
    "RefillState",
    "RefillStatus",
    "Service",
    "ServiceId",
    "ServiceType",
    "Text",
    "TextLines",
    "to_bool",
    "to_decimal",
    "to_id",
    "to_int",
    "to_optional_int",
]
