"""Placing a destination on the map and measuring distances."""

from __future__ import annotations

import pytest

from oms.domain.errors import Unprocessable
from oms.domain.geo import Point, haversine_km, locate, locate_parts
from oms.domain.models import Address


def address(postal_code: str = "1226", country: str = "PH", **more: float) -> Address:
    return Address(
        name="Ana Cruz", line1="1 Ayala Ave", city="Makati", postal_code=postal_code, country=country, **more
    )


def test_distance_from_a_point_to_itself_is_zero() -> None:
    assert haversine_km(14.5995, 120.9842, 14.5995, 120.9842) == 0


def test_manila_to_cebu_is_about_570_km_either_way() -> None:
    there = haversine_km(14.5995, 120.9842, 10.3157, 123.8854)
    back = haversine_km(10.3157, 123.8854, 14.5995, 120.9842)
    assert 560 < there < 580
    assert there == pytest.approx(back)


def test_a_quarter_meridian_is_about_10000_km() -> None:
    assert haversine_km(0, 0, 90, 0) == pytest.approx(10_007.5, abs=1)


def test_an_address_with_coordinates_is_located_exactly() -> None:
    assert locate(address(lat=14.55, lon=121.02)) == Point(14.55, 121.02, "exact")


def test_coordinates_work_even_where_the_oms_knows_no_country() -> None:
    assert locate(address(country="ZZ", lat=1.0, lon=2.0)).precision == "exact"


def test_half_a_coordinate_pair_is_ignored() -> None:
    assert locate(address(lat=14.55)).precision == "postal_code"


@pytest.mark.parametrize(
    ("postal_code", "lat"),
    [
        ("1000", 14.5995),  # Manila
        ("1101", 14.6760),  # Quezon City
        ("1226", 14.5547),  # Makati
        ("1300", 14.5378),  # Pasay
        ("1600", 14.5764),  # Pasig
        ("2600", 16.4023),  # Baguio
        ("5000", 10.7202),  # Iloilo
        ("6000", 10.3157),  # Cebu
        ("8000", 7.1907),  # Davao
        ("9000", 8.4542),  # Cagayan de Oro
    ],
)
def test_a_philippine_postal_code_is_located_at_its_area(postal_code: str, lat: float) -> None:
    point = locate(address(postal_code))
    assert (point.lat, point.precision) == (lat, "postal_code")


def test_the_longest_known_prefix_wins() -> None:
    # Taguig (163x) sits inside the Pasig range (16xx).
    assert locate(address("1634")).lat == 14.5176
    assert locate(address("1605")).lat == 14.5764


def test_an_unknown_postal_code_falls_back_to_the_country_centre() -> None:
    assert locate(address("0000")) == Point(12.8797, 121.7740, "country")


def test_a_country_without_a_postal_table_is_located_at_its_centre() -> None:
    assert locate(address("018956", country="SG")).precision == "country"


def test_locate_parts_needs_no_full_address() -> None:
    assert locate_parts("PH", "6000").precision == "postal_code"
    assert locate_parts("PH").precision == "country"


def test_an_address_the_oms_cannot_place_is_unprocessable() -> None:
    with pytest.raises(Unprocessable) as caught:
        locate(address(country="ZZ"))
    assert (caught.value.status, caught.value.code) == (422, "destination_unlocatable")
