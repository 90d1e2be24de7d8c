"""Where a destination is on the map, as precisely as the address allows, and how far apart two points are."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

from oms.domain.errors import Unprocessable

Precision = Literal["exact", "postal_code", "country"]

# Mean Earth radius (IUGG); routing compares distances, so the last kilometre of accuracy does not matter.
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    precision: Precision = "exact"


class Locatable(Protocol):
    """What `locate` reads from an address (oms.domain.models.Address fits)."""

    @property
    def country(self) -> str: ...
    @property
    def postal_code(self) -> str | None: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...


def haversine_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(a_lat), math.radians(b_lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b_lon - a_lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# Centre of each country the OMS can place on the map without coordinates: the last resort.
COUNTRY_CENTRES: dict[str, tuple[float, float]] = {
    "PH": (12.8797, 121.7740),
    "SG": (1.3521, 103.8198),
    "MY": (4.2105, 101.9758),
    "ID": (-0.7893, 113.9213),
    "TH": (15.8700, 100.9925),
    "VN": (14.0583, 108.2772),
    "HK": (22.3193, 114.1694),
    "TW": (23.6978, 120.9605),
    "JP": (36.2048, 138.2529),
    "KR": (35.9078, 127.7669),
    "CN": (35.8617, 104.1954),
    "IN": (20.5937, 78.9629),
    "AU": (-25.2744, 133.7751),
    "NZ": (-40.9006, 174.8860),
    "AE": (23.4241, 53.8478),
    "US": (39.8283, -98.5795),
    "CA": (56.1304, -106.3468),
    "GB": (55.3781, -3.4360),
    "DE": (51.1657, 10.4515),
}

# Postal-code prefix -> centroid of the area it serves; the longest matching prefix wins, so a city
# inside a wider range (Taguig 163x inside Pasig's 16xx) gets its own entry. Approximate by design:
# it ranks locations by distance, it does not drive to the door.
POSTAL_CENTROIDS: dict[str, dict[str, tuple[float, float]]] = {
    "PH": {
        # Metro Manila
        "10": (14.5995, 120.9842),  # Manila
        "11": (14.6760, 121.0437),  # Quezon City
        "12": (14.5547, 121.0244),  # Makati
        "13": (14.5378, 121.0014),  # Pasay
        "14": (14.6507, 120.9676),  # Caloocan
        "144": (14.7011, 120.9830),  # Valenzuela
        "147": (14.6681, 120.9658),  # Malabon
        "148": (14.6667, 120.9417),  # Navotas
        "15": (14.5794, 121.0359),  # Mandaluyong
        "150": (14.6019, 121.0355),  # San Juan
        "16": (14.5764, 121.0851),  # Pasig
        "162": (14.5454, 121.0687),  # Pateros
        "163": (14.5176, 121.0509),  # Taguig
        "17": (14.4793, 121.0198),  # Paranaque
        "174": (14.4445, 120.9939),  # Las Pinas
        "175": (14.4445, 120.9939),  # Las Pinas
        "177": (14.4081, 121.0415),  # Muntinlupa
        "178": (14.4081, 121.0415),  # Muntinlupa
        "18": (14.6507, 121.1029),  # Marikina
        "187": (14.5860, 121.1760),  # Antipolo
        "19": (14.5786, 121.1222),  # Rizal (Cainta, Taytay)
        # Luzon
        "20": (15.0794, 120.6200),  # Pampanga (San Fernando)
        "2009": (15.1450, 120.5887),  # Angeles
        "2023": (15.1860, 120.5470),  # Clark Freeport Zone
        "21": (14.6760, 120.5360),  # Bataan (Balanga)
        "22": (14.8292, 120.2828),  # Zambales (Olongapo, Subic)
        "23": (15.4802, 120.5979),  # Tarlac
        "24": (16.0433, 120.3333),  # Pangasinan (Dagupan)
        "25": (16.6159, 120.3166),  # La Union (San Fernando)
        "26": (16.4023, 120.5960),  # Baguio, Benguet
        "27": (17.5747, 120.3869),  # Ilocos Sur (Vigan)
        "29": (18.1960, 120.5927),  # Ilocos Norte (Laoag)
        "30": (14.8527, 120.8160),  # Bulacan (Malolos)
        "31": (15.4865, 120.9667),  # Nueva Ecija (Cabanatuan)
        "33": (17.1485, 121.8893),  # Isabela (Ilagan)
        "35": (17.6132, 121.7270),  # Cagayan (Tuguegarao)
        "40": (14.2117, 121.1653),  # Laguna (Calamba, Santa Rosa)
        "41": (14.4297, 120.9367),  # Cavite (Imus, Bacoor, Dasmarinas)
        "42": (13.7565, 121.0583),  # Batangas
        "43": (13.9373, 121.6170),  # Quezon (Lucena)
        "44": (13.6218, 123.1948),  # Camarines Sur (Naga)
        "45": (13.1391, 123.7438),  # Albay (Legazpi)
        "53": (9.7392, 118.7353),  # Palawan (Puerto Princesa)
        # Visayas
        "50": (10.7202, 122.5621),  # Iloilo
        "56": (11.7070, 122.3680),  # Aklan (Kalibo)
        "60": (10.3157, 123.8854),  # Cebu City
        "6014": (10.3236, 123.9223),  # Mandaue
        "6015": (10.3103, 123.9494),  # Lapu-Lapu
        "61": (10.6765, 122.9509),  # Negros Occidental (Bacolod)
        "62": (9.3068, 123.3054),  # Negros Oriental (Dumaguete)
        "63": (9.6500, 123.8500),  # Bohol (Tagbilaran)
        "65": (11.2447, 125.0048),  # Leyte (Tacloban)
        # Mindanao
        "70": (6.9214, 122.0790),  # Zamboanga City
        "80": (7.1907, 125.4553),  # Davao City
        "81": (7.4478, 125.8078),  # Davao del Norte (Tagum)
        "86": (8.9475, 125.5406),  # Butuan
        "90": (8.4542, 124.6319),  # Cagayan de Oro
        "92": (8.2280, 124.2452),  # Iligan
        "95": (6.1164, 125.1716),  # General Santos
        "96": (7.2236, 124.2464),  # Cotabato City
    },
}


def postal_centroid(country: str, postal_code: str) -> tuple[float, float] | None:
    """The centroid of the longest known prefix of `postal_code`, or None."""
    table = POSTAL_CENTROIDS.get(country.upper())
    code = postal_code.strip().replace(" ", "").upper()
    if not table or not code:
        return None
    for end in range(len(code), 0, -1):
        hit = table.get(code[:end])
        if hit:
            return hit
    return None


def locate_parts(
    country: str, postal_code: str | None = None, lat: float | None = None, lon: float | None = None
) -> Point:
    """Best point for a destination: its own coordinates, else its postal area, else its country's centre."""
    if lat is not None and lon is not None:
        return Point(lat, lon, "exact")
    if postal_code:
        centroid = postal_centroid(country, postal_code)
        if centroid:
            return Point(*centroid, "postal_code")
    centre = COUNTRY_CENTRES.get(country.upper())
    if centre:
        return Point(*centre, "country")
    raise Unprocessable(
        f"cannot place an address in {country!r} without lat and lon: the country is not in the OMS's table",
        code="destination_unlocatable",
        country=country,
    )


def locate(address: Locatable) -> Point:
    """`locate_parts` for an address record (a half coordinate pair counts as none)."""
    return locate_parts(address.country, address.postal_code, address.lat, address.lon)
