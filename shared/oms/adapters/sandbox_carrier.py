"""Carriers that quote and book by distance, deterministically (API.md, "Sandbox behaviour").

- a destination with postal code `00000` is served by no carrier;
- same-day only within SAME_DAY_MAX_KM of the origin (a metro courier), delivered the same day;
- express: 1 day up to 500 km, else 2; standard: 1 day up to 50 km, 3 up to 500 km, else 5;
- price: the service level's flat fee in the currency (oms.domain.pricing's table), plus half of it again
  for every full 500 km.
Ids, tracking numbers and label references derive from the idempotency key, so a retried booking
returns the same booking.
"""

from __future__ import annotations

import hashlib

from oms.domain.geo import haversine_km, locate
from oms.domain.models import Address, ServiceLevel
from oms.domain.pricing import shipping_fee
from oms.ports.carrier import (
    Booking,
    BookingCancellation,
    BookingRequest,
    CancelBookingRequest,
    NoCarrier,
    Origin,
    QuoteRequest,
    Quotes,
    RateOption,
    ReturnLabelRequest,
    ServiceLevelNotServed,
)
from oms.ports.payment import reference

UNSERVED_POSTAL_CODE = "00000"
SAME_DAY_MAX_KM = 40.0
CARRIERS: dict[ServiceLevel, str] = {
    "same_day": "Sandbox Courier",
    "express": "Sandbox Express",
    "standard": "Sandbox Post",
}
COD_CARRIERS = frozenset({"Sandbox Express", "Sandbox Post"})  # the same-day courier takes no cash


def transit_days(service_level: ServiceLevel, distance_km: float) -> int | None:
    """Days from pick-up to delivery, or None when the service level does not reach that far."""
    if service_level == "same_day":
        return 0 if distance_km <= SAME_DAY_MAX_KM else None
    if service_level == "express":
        return 1 if distance_km <= 500 else 2
    if distance_km <= 50:
        return 1
    return 3 if distance_km <= 500 else 5


class SandboxCarrier:
    """CarrierGateway for tests and local runs."""

    def quote(self, request: QuoteRequest) -> Quotes:
        options = self._options(request.origin, request.destination, request.currency, request.service_levels)
        return Quotes(quote_id=reference("quo", request.idempotency_key), status="quoted", options=options)

    def book(self, request: BookingRequest) -> Booking:
        levels: tuple[ServiceLevel, ...] = (request.service_level,)
        option = next(iter(self._options(request.origin, request.destination, request.currency, levels)), None)
        if option is not None and request.cod_amount and option.carrier not in COD_CARRIERS:
            raise ServiceLevelNotServed(
                f"no carrier collects cash on delivery for {request.service_level}",
                service_level=request.service_level,
            )
        if option is None:
            raise ServiceLevelNotServed(
                f"no carrier delivers {request.service_level} from {request.origin.location_id} to "
                f"{request.destination.postal_code} {request.destination.country}",
                service_level=request.service_level,
            )
        booking_id = reference("bkg", request.idempotency_key)
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()
        return Booking(
            booking_id=booking_id,
            status="booked",
            service_level=option.service_level,
            carrier=option.carrier,
            tracking_number=f"SBX{int(digest[:15], 16) % 10**12:012d}",
            label_ref=f"label_{digest[:20]}",
            price=option.price,
            currency=option.currency,
            transit_days=option.transit_days,
        )

    def cancel(self, request: CancelBookingRequest) -> BookingCancellation:
        return BookingCancellation(booking_id=request.booking_id, status="cancelled")

    def return_label(self, request: ReturnLabelRequest) -> Booking:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()
        return Booking(
            booking_id=reference("rtn", request.idempotency_key),
            status="booked",
            service_level="standard",
            carrier="Sandbox Post",
            tracking_number=f"SBR{int(digest[:15], 16) % 10**12:012d}",
            label_ref=f"return_label_{digest[:20]}",
        )

    def _options(
        self, origin: Origin, destination: Address, currency: str, levels: tuple[ServiceLevel, ...]
    ) -> tuple[RateOption, ...]:
        if destination.postal_code.strip() == UNSERVED_POSTAL_CODE:
            raise NoCarrier(
                f"no carrier serves postal code {UNSERVED_POSTAL_CODE} in {destination.country}",
                postal_code=destination.postal_code,
                country=destination.country,
            )
        to = locate(destination)
        distance = haversine_km(origin.lat, origin.lon, to.lat, to.lon)
        options = []
        for level in levels:
            days = transit_days(level, distance)
            if days is None:
                continue
            flat = shipping_fee(currency, level, subtotal=0)
            options.append(RateOption(level, CARRIERS[level], flat + flat * int(distance // 500) // 2, currency, days))
        return tuple(sorted(options, key=lambda o: o.price))
