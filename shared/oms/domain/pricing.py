"""What an order costs: line totals, shipping by service level, tax from the TaxCalculator port.

Prices are tax-exclusive: total = subtotal + shipping + tax. Shipping is taxed like goods (one
"shipping" line in the tax quote). All amounts are integers in minor units of `currency`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oms.domain.errors import Unprocessable
from oms.domain.models import SERVICE_LEVELS, Address, Customer, Line, ServiceLevel
from oms.ports.tax import TaxCalculator, TaxLine, TaxQuote

# Above this (10^12 minor units: PHP 10 billion) an order is refused rather than passed on to
# payment and carrier systems whose amount fields are far smaller.
MAX_AMOUNT = 10**12
SHIPPING_SKU = "shipping"


@dataclass(frozen=True)
class ShippingRates:
    """Shipping fees of one currency, in its minor units. Configuration, not law: change the table.

    Standard is charged once per order and is free from `free_standard_from` (subtotal, inclusive):
    a split into several shipments is the OMS's choice, not the shopper's. Express and same-day are
    charged per shipment by default (`per_shipment`): each is its own courier run from its location.
    """

    standard: int
    express: int
    same_day: int
    free_standard_from: int | None = None
    per_shipment: frozenset[ServiceLevel] = frozenset({"express", "same_day"})

    def fee(self, service_level: ServiceLevel, subtotal: int, shipments_count: int) -> int:
        free_from = self.free_standard_from
        if service_level == "standard" and free_from is not None and subtotal >= free_from:
            return 0
        flat = {"standard": self.standard, "express": self.express, "same_day": self.same_day}[service_level]
        return flat * shipments_count if service_level in self.per_shipment else flat


SHIPPING_RATES: Mapping[str, ShippingRates] = {
    "PHP": ShippingRates(standard=9900, express=19900, same_day=34900, free_standard_from=250000),
    "SGD": ShippingRates(standard=500, express=1200, same_day=2000, free_standard_from=8000),
    "USD": ShippingRates(standard=599, express=1499, same_day=2499, free_standard_from=7500),
}


@dataclass(frozen=True)
class Totals:
    """`lines` are the tax-exclusive line totals, in the order given; `tax` includes tax on shipping."""

    subtotal: int
    tax: int
    shipping: int
    total: int
    lines: tuple[int, ...]
    tax_quote: TaxQuote

    def as_dict(self) -> dict[str, int]:
        return {"subtotal": self.subtotal, "tax": self.tax, "shipping": self.shipping, "total": self.total}


def _bounded(what: str, amount: int, currency: str) -> int:
    if amount > MAX_AMOUNT:
        raise Unprocessable(
            f"{what} of {amount} {currency} minor units is above the limit of {MAX_AMOUNT}",
            code="amount_too_large",
            limit=MAX_AMOUNT,
        )
    return amount


def shipping_fee(
    currency: str,
    service_level: str,
    subtotal: int,
    shipments_count: int = 1,
    rates: Mapping[str, ShippingRates] = SHIPPING_RATES,
) -> int:
    """The shipping fee for an order (or a delivery option quoted before routing, with one shipment)."""
    if shipments_count < 1:
        raise ValueError(f"an order ships in at least one shipment, got {shipments_count}")
    table = rates.get(currency)
    if table is None:
        raise Unprocessable(
            f"no shipping rates in {currency}; supported: {', '.join(sorted(rates))}",
            code="unsupported_currency",
            currency=currency,
        )
    level = next((sl for sl in SERVICE_LEVELS if sl == service_level), None)
    if level is None:
        raise Unprocessable(f"unknown service level {service_level!r}", code="unsupported_service_level")
    return table.fee(level, subtotal, shipments_count)


def price(
    lines: Sequence[Line],
    currency: str,
    address: Address,
    customer: Customer,
    service_level: str,
    shipments_count: int,
    tax: TaxCalculator,
    rates: Mapping[str, ShippingRates] = SHIPPING_RATES,
) -> Totals:
    """Price an order routed into `shipments_count` shipments (so: route first, then price)."""
    line_totals = tuple(_bounded(f"line {ln.sku}", ln.quantity * ln.unit_price, currency) for ln in lines)
    subtotal = _bounded("subtotal", sum(line_totals), currency)
    shipping = shipping_fee(currency, service_level, subtotal, shipments_count, rates)
    taxable = [TaxLine(ln.sku, amount) for ln, amount in zip(lines, line_totals, strict=True)]
    if shipping:
        taxable.append(TaxLine(SHIPPING_SKU, shipping, "shipping"))
    quote = tax.quote(taxable, address, customer)
    total = _bounded("total", subtotal + shipping + quote.total, currency)
    return Totals(subtotal, quote.total, shipping, total, line_totals, quote)
