"""The tax port: what the OMS asks a tax engine, and the shape of the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from oms.domain.models import Address, Customer

TaxLineKind = Literal["goods", "shipping"]


@dataclass(frozen=True)
class TaxLine:
    """One taxable amount, tax-exclusive, in minor units of the order's currency."""

    sku: str
    amount: int
    kind: TaxLineKind = "goods"

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"a taxable amount is never negative, got {self.amount}")


@dataclass(frozen=True)
class TaxedLine:
    sku: str
    amount: int
    tax: int
    kind: TaxLineKind = "goods"


@dataclass(frozen=True)
class TaxQuote:
    """Tax per line (same order as asked) and in total; `rate` is the fraction applied (0.12 = 12%).

    `exempt` says the customer or sale is exempt (the tax is then 0 whatever the rate), with the
    reason to print on the invoice.
    """

    lines: tuple[TaxedLine, ...]
    total: int
    rate: Decimal
    jurisdiction: str
    exempt: bool = False
    exempt_reason: str | None = None


class TaxCalculator(Protocol):
    def quote(self, lines: Sequence[TaxLine], address: Address, customer: Customer) -> TaxQuote: ...
