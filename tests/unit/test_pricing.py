"""Pricing an order: line totals, shipping by service level, tax through the port, and the ceiling."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from oms.adapters.sandbox_tax import SandboxTax
from oms.domain.errors import Unprocessable
from oms.domain.models import Address, Customer, Line
from oms.domain.pricing import MAX_AMOUNT, Totals, price, shipping_fee
from oms.ports.tax import TaxedLine, TaxLine, TaxQuote

MAKATI = Address(name="Ana", line1="1 Ayala Ave", city="Makati", postal_code="1226", country="PH")
NOWHERE = Address(name="Ana", line1="1 St", city="X", postal_code="1", country="ZZ")  # taxed at 0
ANA = Customer(id="c-1", email="ana@example.com")


def quote(
    lines: list[Line],
    service_level: str = "standard",
    shipments: int = 1,
    address: Address = MAKATI,
    customer: Customer = ANA,
) -> Totals:
    return price(
        lines,
        "PHP",
        address=address,
        customer=customer,
        service_level=service_level,
        shipments_count=shipments,
        tax=SandboxTax(),
    )


def line(quantity: int, unit_price: int, sku: str = "TSHIRT") -> Line:
    return Line(sku=sku, quantity=quantity, unit_price=unit_price)


def test_a_philippine_order_adds_lines_shipping_and_vat_on_both() -> None:
    totals = quote([line(2, 59900)])
    # 12% of 119800 is 14376; 12% of the 9900 shipping is 1188.
    assert totals.as_dict() == {"subtotal": 119800, "tax": 15564, "shipping": 9900, "total": 145264}
    assert totals.lines == (119800,)


def test_line_totals_keep_the_order_of_the_lines() -> None:
    assert quote([line(1, 500, "A"), line(3, 100, "B")]).lines == (500, 300)


def test_standard_shipping_is_free_from_the_threshold() -> None:
    assert quote([line(1, 250000)]).shipping == 0
    assert quote([line(1, 249999)]).shipping == 9900


def test_free_shipping_adds_no_shipping_line_to_the_tax_quote() -> None:
    assert [t.kind for t in quote([line(1, 250000)]).tax_quote.lines] == ["goods"]


def test_standard_is_charged_once_however_many_shipments() -> None:
    assert quote([line(1, 1000)], "standard", shipments=3).shipping == 9900


@pytest.mark.parametrize(("service_level", "fee"), [("express", 19900), ("same_day", 34900)])
def test_express_and_same_day_are_charged_per_shipment(service_level: str, fee: int) -> None:
    assert quote([line(1, 1000)], service_level).shipping == fee
    assert quote([line(1, 1000)], service_level, shipments=2).shipping == 2 * fee


def test_express_is_never_free() -> None:
    assert quote([line(1, 900000)], "express").shipping == 19900


def test_an_exempt_buyer_pays_no_tax() -> None:
    zone = MAKATI.model_copy(update={"region": "Clark Freeport Zone"})
    buyer = Customer(id="c-2", email="b@acme.example", type="b2b", tax_id="123")
    totals = quote([line(1, 10000)], address=zone, customer=buyer)
    assert (totals.tax, totals.total, totals.tax_quote.exempt) == (0, 19900, True)


def test_pricing_depends_only_on_the_tax_port() -> None:
    class OnePerLine:
        def quote(self, lines: Sequence[TaxLine], address: Address, customer: Customer) -> TaxQuote:
            taxed = tuple(TaxedLine(ln.sku, ln.amount, 1, ln.kind) for ln in lines)
            return TaxQuote(taxed, len(taxed), Decimal(0), "fake")

    totals = price(
        [line(1, 100), line(1, 200, "B")],
        "PHP",
        address=MAKATI,
        customer=ANA,
        service_level="standard",
        shipments_count=1,
        tax=OnePerLine(),
    )
    assert (totals.tax, totals.total) == (3, 100 + 200 + 9900 + 3)


def test_a_total_at_the_ceiling_is_accepted() -> None:
    totals = quote([line(100, MAX_AMOUNT // 100)], address=NOWHERE)
    assert totals.total == MAX_AMOUNT


def test_a_total_above_the_ceiling_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        quote([line(100, MAX_AMOUNT // 100)])  # 12% VAT pushes it over
    assert (caught.value.status, caught.value.code) == (422, "amount_too_large")


def test_a_huge_line_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        quote([line(10_000, 10_000_000_000)])
    assert caught.value.code == "amount_too_large"


def test_a_currency_without_shipping_rates_is_unprocessable() -> None:
    with pytest.raises(Unprocessable) as caught:
        shipping_fee("EUR", "standard", 1000)
    assert caught.value.code == "unsupported_currency"


def test_an_unknown_service_level_is_unprocessable() -> None:
    with pytest.raises(Unprocessable) as caught:
        shipping_fee("PHP", "teleport", 1000)
    assert caught.value.code == "unsupported_service_level"


def test_an_order_ships_in_at_least_one_shipment() -> None:
    with pytest.raises(ValueError, match="at least one"):
        shipping_fee("PHP", "standard", 1000, shipments_count=0)
