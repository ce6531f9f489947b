"""Money: an exact `Decimal` amount with its currency, and what panel rates are quoted per."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from providers.values import Amount

PER = Decimal(1000)
"""Panel rates are prices per this many units."""


class Money(BaseModel):
    """An exact amount in a currency (ISO code as the panel sends it, upper-cased)."""

    model_config = ConfigDict(frozen=True)

    amount: Amount
    currency: str = "USD"

    @model_validator(mode="after")
    def _upper_currency(self) -> Self:
        object.__setattr__(self, "currency", self.currency.strip().upper() or "USD")
        return self

    def __str__(self) -> str:
        return f"{self.amount:f} {self.currency}"  # never "1E-7 USD"


class Balance(Money):
    """A provider account's balance."""
