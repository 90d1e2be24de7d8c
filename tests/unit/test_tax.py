"""The sandbox tax engine: rates per country and region, B2B exemptions, half-up rounding per line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oms.adapters.sandbox_tax import SandboxTax, TaxRule, tax_for
from oms.domain.models import Address, Customer
from oms.ports.tax import TaxCalculator, TaxLine

calculator: TaxCalculator = SandboxTax()


def address(country: str = "PH", region: str | None = None) -> Address:
    return Address(name="A", line1="1 St", city="C", region=region, postal_code="1000", country=country)


def b2c() -> Customer:
    return Customer(id="c-1", email="ana@example.com")


def b2b(tax_id: str | None = "123-456-789-000") -> Customer:
    return Customer(id="c-2", email="buyer@acme.example", type="b2b", company="Acme", tax_id=tax_id)


def test_philippine_vat_is_twelve_percent_per_line() -> None:
    quote = calculator.quote([TaxLine("A", 119800), TaxLine("B", 100)], address(), b2c())
    assert [line.tax for line in quote.lines] == [14376, 12]
    assert (quote.total, quote.rate, quote.exempt) == (14388, Decimal("0.12"), False)


def test_tax_is_rounded_half_up() -> None:
    # 9% of 50 is 4.5: half-up gives 5 (banker's rounding would give 4).
    assert calculator.quote([TaxLine("A", 50)], address("SG"), b2c()).total == 5
    assert tax_for(149, Decimal("0.03")) == 4  # 4.47
    assert tax_for(150, Decimal("0.03")) == 5  # 4.5


def test_tax_is_rounded_per_line_not_on_the_sum() -> None:
    quote = calculator.quote([TaxLine("A", 50), TaxLine("B", 50)], address("SG"), b2c())
    assert quote.total == 10  # 9% of 100 would round to 9


def test_b2b_with_a_tax_id_pays_vat_outside_an_ecozone() -> None:
    assert calculator.quote([TaxLine("A", 10000)], address(region="Metro Manila"), b2b()).total == 1200


@pytest.mark.parametrize("region", ["Clark Freeport Zone", "  clark  FREEPORT zone "])
def test_b2b_with_a_tax_id_in_an_ecozone_is_zero_rated(region: str) -> None:
    quote = calculator.quote([TaxLine("A", 10000)], address(region=region), b2b())
    assert (quote.total, quote.rate, quote.exempt) == (0, Decimal(0), True)
    assert quote.exempt_reason == "zero-rated sale to a registered ecozone enterprise"


def test_ecozone_sales_to_consumers_and_to_b2b_without_tax_id_pay_vat() -> None:
    line = [TaxLine("A", 10000)]
    assert calculator.quote(line, address(region="Clark Freeport Zone"), b2c()).total == 1200
    assert calculator.quote(line, address(region="Clark Freeport Zone"), b2b(tax_id=None)).total == 1200


def test_singapore_gst_is_nine_percent() -> None:
    assert calculator.quote([TaxLine("A", 10000)], address("SG"), b2c()).total == 900


@pytest.mark.parametrize(("region", "tax"), [("CA", 725), ("California", 725), ("NY", 400), ("OR", 0), ("WY", 0)])
def test_us_sales_tax_follows_the_state(region: str, tax: int) -> None:
    assert calculator.quote([TaxLine("A", 10000)], address("US", region), b2c()).total == tax


def test_a_us_reseller_with_a_tax_id_is_exempt() -> None:
    quote = calculator.quote([TaxLine("A", 10000)], address("US", "CA"), b2b())
    assert (quote.total, quote.exempt) == (0, True)


def test_a_country_without_a_rule_is_taxed_at_zero() -> None:
    quote = calculator.quote([TaxLine("A", 10000)], address("ZZ"), b2c())
    assert (quote.total, quote.rate, quote.exempt, quote.jurisdiction) == (
        0,
        Decimal(0),
        False,
        "no tax rule",
    )


def test_shipping_lines_are_taxed_and_kept_apart() -> None:
    quote = calculator.quote([TaxLine("A", 10000), TaxLine("shipping", 9900, "shipping")], address(), b2c())
    assert [(line.kind, line.tax) for line in quote.lines] == [("goods", 1200), ("shipping", 1188)]


def test_the_rate_table_is_configuration() -> None:
    custom = SandboxTax({"PH": {"": TaxRule(Decimal("0.05"), "test 5%")}})
    assert custom.quote([TaxLine("A", 1000)], address(), b2c()).total == 50


def test_a_taxable_amount_is_never_negative() -> None:
    with pytest.raises(ValueError, match="never negative"):
        TaxLine("A", -1)
