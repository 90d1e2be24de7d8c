"""A tax engine that behaves like a real one for a handful of jurisdictions, from a fixed rate table.

Rounding: tax is computed per line and rounded half-up to a whole minor unit (0.5 goes up), then
summed. Per line, not on the total, so each line (and each shipment, which is captured separately)
has a tax that does not change when other lines ship, are cancelled or refunded. The total may differ
by a unit or two from rounding the sum; that is the accepted price of stable lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from oms.domain.models import Address, Customer
from oms.ports.tax import TaxedLine, TaxLine, TaxQuote


@dataclass(frozen=True)
class TaxRule:
    rate: Decimal
    name: str
    # A B2B buyer that gives a tax id pays no tax here (a zero-rated ecozone sale, a resale certificate).
    exempt_b2b_with_tax_id: bool = False
    exempt_reason: str | None = None


def _region_key(region: str | None) -> str:
    return " ".join((region or "").split()).casefold()


_PH_ECOZONE = TaxRule(
    Decimal("0.12"),
    "PH VAT 12% (ecozone)",
    exempt_b2b_with_tax_id=True,
    exempt_reason="zero-rated sale to a registered ecozone enterprise",
)
_US_RESALE = "resale certificate (tax id) on file"

# country -> region (normalised: trimmed, casefolded; "" is the country-wide rule) -> rule.
SANDBOX_RATES: Mapping[str, Mapping[str, TaxRule]] = {
    "PH": {
        "": TaxRule(Decimal("0.12"), "PH VAT 12%"),
        "clark freeport zone": _PH_ECOZONE,
        "subic bay freeport zone": _PH_ECOZONE,
    },
    "SG": {"": TaxRule(Decimal("0.09"), "SG GST 9%")},
    "US": {
        "": TaxRule(Decimal("0"), "US (no state sales tax rule)"),
        "ca": TaxRule(Decimal("0.0725"), "US-CA sales tax 7.25%", True, _US_RESALE),
        "california": TaxRule(Decimal("0.0725"), "US-CA sales tax 7.25%", True, _US_RESALE),
        "ny": TaxRule(Decimal("0.04"), "US-NY sales tax 4%", True, _US_RESALE),
        "new york": TaxRule(Decimal("0.04"), "US-NY sales tax 4%", True, _US_RESALE),
        "or": TaxRule(Decimal("0"), "US-OR no sales tax"),
        "oregon": TaxRule(Decimal("0"), "US-OR no sales tax"),
    },
}
NO_RULE = TaxRule(Decimal("0"), "no tax rule")


def tax_for(amount: int, rate: Decimal) -> int:
    """Tax on one amount in minor units, rounded half-up."""
    return int((Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rule_for(country: str, region: str | None, rates: Mapping[str, Mapping[str, TaxRule]]) -> TaxRule:
    by_region = rates.get(country.upper())
    if by_region is None:
        return NO_RULE
    return by_region.get(_region_key(region)) or by_region.get("") or NO_RULE


class SandboxTax:
    """TaxCalculator from a rate table (SANDBOX_RATES unless given); an unknown country is taxed at 0."""

    def __init__(self, rates: Mapping[str, Mapping[str, TaxRule]] | None = None) -> None:
        self._rates = SANDBOX_RATES if rates is None else rates

    def quote(self, lines: Sequence[TaxLine], address: Address, customer: Customer) -> TaxQuote:
        rule = rule_for(address.country, address.region, self._rates)
        exempt = rule.exempt_b2b_with_tax_id and customer.type == "b2b" and bool(customer.tax_id)
        rate = Decimal(0) if exempt else rule.rate
        taxed = tuple(TaxedLine(ln.sku, ln.amount, tax_for(ln.amount, rate), ln.kind) for ln in lines)
        return TaxQuote(
            lines=taxed,
            total=sum(t.tax for t in taxed),
            rate=rate,
            jurisdiction=rule.name,
            exempt=exempt,
            exempt_reason=(rule.exempt_reason or "exempt B2B customer") if exempt else None,
        )
