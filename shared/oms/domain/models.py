"""The OMS vocabulary: request bodies (validated at the edge) and the records the domain works on."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

# Active ISO 4217 codes (2026): a currency outside this list is refused at the edge.
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

ServiceLevel = Literal["same_day", "express", "standard"]
SERVICE_LEVELS: tuple[ServiceLevel, ...] = ("same_day", "express", "standard")
LocationType = Literal["warehouse", "store", "showroom", "3pl", "workshop"]
CustomerType = Literal["b2c", "b2b"]
PaymentMethod = Literal["card", "invoice", "cod", "marketplace"]  # cod: collected at the door

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Quantity = Annotated[int, Field(ge=1, le=10_000, strict=True)]
Money = Annotated[int, Field(ge=0, le=10_000_000_000, strict=True)]  # minor units, never a float
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class Strict(BaseModel):
    """Unknown fields are refused: a typo in a field name should not silently drop data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


# For bodies only admin routes take: the validator is built on the first request that needs it, not
# at import, so no storefront request's cold start pays for it (same validation, same JSON schema).
ADMIN_ONLY = ConfigDict(defer_build=True)


def _to_centimetres(degrees: float) -> float:
    # Seven decimals are about a centimetre. Rounding also turns a subnormal like 2.2e-311 (which no
    # store or distance formula should meet) into the 0.0 it means.
    return round(degrees, 7) + 0.0  # + 0.0: -0.0 becomes 0.0


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False), AfterValidator(_to_centimetres)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False), AfterValidator(_to_centimetres)]


class Address(Strict):
    name: ShortText
    line1: ShortText
    line2: ShortText | None = None
    city: ShortText
    region: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    country: Country
    lat: Latitude | None = None
    lon: Longitude | None = None


class SiteAddress(Address):
    """A location's address: where it is, with no recipient (API.md's location body has none)."""

    name: ShortText | None = None  # type: ignore[assignment]  # optional here, required to ship to


class Customer(Strict):
    id: Id
    email: Annotated[str, StringConstraints(max_length=254)]
    type: CustomerType = "b2c"
    company: ShortText | None = None
    tax_id: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("not an email address")
        return value


class Line(Strict):
    sku: Sku
    quantity: Quantity
    unit_price: Money
    note: LongText | None = None


class Payment(Strict):
    method: PaymentMethod = "card"
    token: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class CheckoutRequest(Strict):
    customer: Customer
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    lines: Annotated[list[Line], Field(min_length=1, max_length=100)]
    shipping_address: Address
    service_level: ServiceLevel = "standard"
    payment: Payment
    po_number: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    ship_complete: bool = False
    hold_id: Id | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in ISO_4217:
            raise ValueError("not an ISO 4217 currency")
        return value

    @model_validator(mode="after")
    def _payment_fits_customer(self) -> CheckoutRequest:
        if self.payment.method == "card" and not self.payment.token:
            raise ValueError("payment.token is required for card payments")
        if self.payment.method == "invoice" and self.customer.type != "b2b":
            raise ValueError("invoice payment (net terms) is for B2B customers only")
        return self


class HoldLine(Strict):
    sku: Sku
    quantity: Quantity


class HoldRequest(Strict):
    lines: Annotated[list[HoldLine], Field(min_length=1, max_length=100)]
    ttl_seconds: Annotated[int, Field(ge=60, le=86_400, strict=True)] = 900
    shipping_address: Address | None = None


class Capabilities(Strict):
    ship_from_store: bool = False
    same_day: bool = False
    made_to_order: bool = False


class LocationIn(Strict):
    model_config = ADMIN_ONLY

    name: ShortText
    type: LocationType
    address: SiteAddress | None = None
    lat: Latitude
    lon: Longitude
    capabilities: Capabilities = Capabilities()
    cut_off: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "15:00"
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Asia/Manila"
    same_day_radius_km: Annotated[float, Field(ge=0, le=200)] = 0
    capacity_per_day: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    sla_hours: Annotated[int, Field(ge=1, le=720)] = 24
    priority: Annotated[int, Field(ge=0, le=1000)] = 100
    paused: bool = False


class Location(LocationIn):
    model_config = ConfigDict(defer_build=False)  # read from the store by every checkout

    location_id: Id


StockStatus = Literal["out", "low", "ok", "over"]  # stock health (oms.domain.health)
Days = Annotated[float, Field(gt=0, le=3650)]
Units = Annotated[int, Field(ge=0, le=100_000_000, strict=True)]


class ProductIn(Strict):
    model_config = ADMIN_ONLY

    name: ShortText | None = None
    made_to_order: bool = False
    workshop_location_id: Id | None = None
    build_instructions: LongText | None = None
    backorder: bool = False  # sold against incoming stock when none is on hand (oms.domain.backorder)
    # Stock health, for this product at every location (else the location type's defaults).
    reorder_point: Units | None = None
    max_days_of_cover: Days | None = None
    lead_time_days: Days | None = None
    target_days_of_cover: Days | None = None

    @model_validator(mode="after")
    def _workshop_named(self) -> ProductIn:
        if self.made_to_order and not self.workshop_location_id:
            raise ValueError("a made-to-order product needs workshop_location_id")
        return self


class Product(ProductIn):
    model_config = ConfigDict(defer_build=False)  # read from the store by every checkout

    sku: Sku


class InventorySet(Strict):
    model_config = ADMIN_ONLY

    on_hand: Annotated[int, Field(ge=0, le=100_000_000, strict=True)]
    safety_stock: Annotated[int, Field(ge=0, le=100_000_000, strict=True)] = 0
    # Stock health of this sku here (else the product's, else the location type's).
    reorder_point: Units | None = None
    max_days_of_cover: Days | None = None


class Adjustment(Strict):
    model_config = ADMIN_ONLY

    delta: Annotated[int, Field(ge=-100_000_000, le=100_000_000, strict=True)]
    reason: ShortText

    @field_validator("delta")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("delta must not be zero")
        return value


class StockLevel(BaseModel):
    """One (sku, location) of stock. Available is derived, never stored."""

    sku: str
    location_id: str
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0
    quarantined: int = 0  # returned damaged: kept apart, neither on hand nor for sale
    buckets: dict[int, int] = Field(default_factory=dict)  # a hot sku's units ready in each bucket (domain.buckets)

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)


class Allocation(BaseModel):
    """Units of one sku taken from one location."""

    sku: str
    location_id: str
    quantity: int
