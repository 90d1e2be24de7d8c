"""The sandbox carriers: quotes per service level by distance, same-day only in the metro area, postal
code 00000 unserved, bookings (carrier, tracking number, label) stable per idempotency key."""

from __future__ import annotations

import pytest

from oms.adapters.sandbox_carrier import SAME_DAY_MAX_KM, SandboxCarrier, transit_days
from oms.domain.errors import Unprocessable
from oms.domain.models import Address, Location, ServiceLevel, SiteAddress
from oms.ports.carrier import (
    BookingRequest,
    CancelBookingRequest,
    CarrierGateway,
    NoCarrier,
    Origin,
    QuoteRequest,
    ServiceLevelNotServed,
)

carrier: CarrierGateway = SandboxCarrier()
MANILA = Origin(location_id="mnl-wh-1", lat=14.5995, lon=120.9842, country="PH", postal_code="1018")
MAKATI = Address(name="Ana", line1="1 Ayala Ave", city="Makati", postal_code="1226", country="PH")
CEBU = Address(name="Ben", line1="1 Osmena Blvd", city="Cebu", postal_code="6000", country="PH")
DAVAO = Address(name="Cy", line1="1 Roxas Ave", city="Davao", postal_code="8000", country="PH")
NOWHERE = Address(name="Di", line1="1 Lost Rd", city="Nowhere", postal_code="00000", country="PH")


def quote(destination: Address, currency: str = "PHP", key: str = "ord_1:shp_1:quote") -> QuoteRequest:
    return QuoteRequest("ord_1", "shp_1", MANILA, destination, currency, key)


def booking(destination: Address, level: ServiceLevel = "standard", key: str = "ord_1:shp_1:book") -> BookingRequest:
    return BookingRequest("ord_1", "shp_1", MANILA, destination, level, "PHP", key)


def test_a_metro_address_gets_all_three_service_levels_cheapest_first() -> None:
    quotes = carrier.quote(quote(MAKATI))
    assert quotes.status == "quoted"
    assert [(o.service_level, o.price, o.transit_days) for o in quotes.options] == [
        ("standard", 9900, 1),
        ("express", 19900, 1),
        ("same_day", 34900, 0),
    ]
    assert {o.carrier for o in quotes.options} == {"Sandbox Post", "Sandbox Express", "Sandbox Courier"}


def test_same_day_is_not_offered_beyond_the_metro_distance() -> None:
    quotes = carrier.quote(quote(CEBU))  # about 570 km from Manila
    assert quotes.option("same_day") is None
    express, standard = quotes.option("express"), quotes.option("standard")
    assert express is not None and standard is not None
    assert (express.transit_days, standard.transit_days) == (2, 5)
    assert (express.price, standard.price) == (19900 + 9950, 9900 + 4950)  # +50% per full 500 km


def test_quotes_are_in_the_currency_asked() -> None:
    option = carrier.quote(quote(MAKATI, currency="USD")).option("express")
    assert option is not None and (option.price, option.currency) == (1499, "USD")
    with pytest.raises(Unprocessable) as caught:
        carrier.quote(quote(MAKATI, currency="EUR"))
    assert caught.value.code == "unsupported_currency"


def test_a_quote_can_ask_for_some_service_levels_only() -> None:
    request = QuoteRequest("ord_1", "shp_1", MANILA, MAKATI, "PHP", "k", service_levels=("express",))
    assert [o.service_level for o in carrier.quote(request).options] == ["express"]


def test_postal_code_00000_is_served_by_no_carrier() -> None:
    with pytest.raises(NoCarrier) as caught:
        carrier.quote(quote(NOWHERE))
    assert caught.value.code == "no_carrier_serves_address"
    with pytest.raises(NoCarrier):
        carrier.book(booking(NOWHERE))


def test_booking_gives_carrier_tracking_number_and_label_reference() -> None:
    booked = carrier.book(booking(MAKATI, "same_day"))
    assert (booked.status, booked.carrier, booked.service_level) == ("booked", "Sandbox Courier", "same_day")
    assert booked.tracking_number is not None and booked.tracking_number.startswith("SBX")
    assert len(booked.tracking_number) == 15
    assert booked.label_ref is not None and booked.label_ref.startswith("label_")
    assert (booked.price, booked.currency, booked.transit_days) == (34900, "PHP", 0)


def test_the_same_booking_key_books_once() -> None:
    assert carrier.book(booking(MAKATI, key="k1")) == carrier.book(booking(MAKATI, key="k1"))
    first, other = carrier.book(booking(MAKATI, key="k1")), carrier.book(booking(MAKATI, key="k2"))
    assert first.booking_id != other.booking_id
    assert first.tracking_number != other.tracking_number


def test_booking_same_day_beyond_the_metro_area_is_refused_as_no_carrier() -> None:
    with pytest.raises(ServiceLevelNotServed) as caught:
        carrier.book(booking(DAVAO, "same_day"))
    assert caught.value.code == "service_level_not_served"
    assert isinstance(caught.value, NoCarrier)


def test_cancel_answers_for_the_booking() -> None:
    cancelled = carrier.cancel(CancelBookingRequest("ord_1", "shp_1", "bkg_1", "ord_1:shp_1:cancel"))
    assert (cancelled.booking_id, cancelled.status) == ("bkg_1", "cancelled")


def test_transit_days_by_distance() -> None:
    assert transit_days("same_day", SAME_DAY_MAX_KM) == 0
    assert transit_days("same_day", SAME_DAY_MAX_KM + 0.1) is None
    assert [transit_days("standard", km) for km in (10, 100, 1000)] == [1, 3, 5]
    assert [transit_days("express", km) for km in (10, 1000)] == [1, 2]


def test_an_origin_is_made_from_a_location_record() -> None:
    location = Location(
        location_id="mnl-wh-1",
        name="Manila DC",
        type="warehouse",
        address=SiteAddress(line1="1 Port Rd", city="Manila", postal_code="1018", country="PH"),
        lat=14.5995,
        lon=120.9842,
    )
    assert Origin.of(location) == MANILA
