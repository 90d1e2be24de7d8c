"""The carrier port: quote per service level, book (carrier, tracking number, label), cancel a booking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from oms.domain.errors import OmsError
from oms.domain.models import SERVICE_LEVELS, Address, Location, ServiceLevel


class NoCarrier(OmsError):
    """No carrier serves the destination address (code no_carrier_serves_address)."""

    status, code, title = 422, "no_carrier_serves_address", "No carrier serves the address"


class ServiceLevelNotServed(NoCarrier):
    """Carriers serve the address, but not at the service level asked (same-day beyond the metro area)."""

    code, title = "service_level_not_served", "Service level not available"


@dataclass(frozen=True)
class Origin:
    """Where a shipment leaves from."""

    location_id: str
    lat: float
    lon: float
    country: str
    postal_code: str | None = None

    @classmethod
    def of(cls, location: Location) -> Origin:
        address = location.address
        return cls(
            location_id=location.location_id,
            lat=location.lat,
            lon=location.lon,
            country=address.country if address else "",
            postal_code=address.postal_code if address else None,
        )


@dataclass(frozen=True)
class QuoteRequest:
    order_id: str
    shipment_id: str
    origin: Origin
    destination: Address
    currency: str
    idempotency_key: str
    service_levels: tuple[ServiceLevel, ...] = SERVICE_LEVELS

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")


@dataclass(frozen=True)
class RateOption:
    """One way to ship: the carrier's price (minor units) and the days in transit after pick-up."""

    service_level: ServiceLevel
    carrier: str
    price: int
    currency: str
    transit_days: int


@dataclass(frozen=True)
class Quotes:
    """The options offered, cheapest service first; "pending" (no options yet) when the partner answers by webhook."""

    quote_id: str
    status: Literal["quoted", "pending"]
    options: tuple[RateOption, ...] = ()

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    def option(self, service_level: ServiceLevel) -> RateOption | None:
        return next((o for o in self.options if o.service_level == service_level), None)


@dataclass(frozen=True)
class BookingRequest:
    order_id: str
    shipment_id: str
    origin: Origin
    destination: Address
    service_level: ServiceLevel
    currency: str
    idempotency_key: str
    parcels: int = 1
    cod_amount: int | None = None  # cash the carrier collects on delivery: only a carrier that does is booked

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")
        if self.parcels < 1:
            raise ValueError(f"a booking has at least one parcel, got {self.parcels}")


@dataclass(frozen=True)
class Booking:
    """A booked pick-up. When "pending", carrier, tracking number and label arrive later by webhook."""

    booking_id: str
    status: Literal["booked", "pending"]
    service_level: ServiceLevel
    carrier: str | None = None
    tracking_number: str | None = None
    label_ref: str | None = None
    price: int | None = None
    currency: str | None = None
    transit_days: int | None = None

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass(frozen=True)
class ReturnLabelRequest:
    """A parcel coming back: picked up at the customer's address, delivered to the receiving location."""

    order_id: str
    return_id: str
    sender: Address
    destination: Origin
    currency: str
    idempotency_key: str

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")


@dataclass(frozen=True)
class CancelBookingRequest:
    order_id: str
    shipment_id: str
    booking_id: str
    idempotency_key: str

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("an idempotency key is required")


@dataclass(frozen=True)
class BookingCancellation:
    booking_id: str
    status: Literal["cancelled", "pending"]

    @property
    def pending(self) -> bool:
        return self.status == "pending"


class CarrierGateway(Protocol):
    """Raises NoCarrier / ServiceLevelNotServed (final), TransientPartnerError (retry) or PartnerRefused."""

    def quote(self, request: QuoteRequest) -> Quotes: ...
    def book(self, request: BookingRequest) -> Booking: ...
    def cancel(self, request: CancelBookingRequest) -> BookingCancellation: ...
    def return_label(self, request: ReturnLabelRequest) -> Booking:
        """The label a customer prints to send goods back (standard service; "pending": by webhook)."""
