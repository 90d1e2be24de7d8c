"""One network of locations around Manila, its stock and a checkout body: shared by every test layer
that checks out (the service tests in memory, the function tests on moto)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from oms.clock import FrozenClock
from oms.domain.models import Capabilities, CheckoutRequest, Location, Product

MORNING = FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 09:00 in Manila
AFTERNOON = FrozenClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # 15:00 in Manila
NETWORK = {
    # Makati (postal code 1226) is the destination: mnl 6.6 km, ceb 564 km, dvo 951 km.
    "mnl": (14.5995, 120.9842, {"A": 5, "C": 5}),
    "ceb": (10.3157, 123.8854, {"A": 5, "B": 5}),
    "dvo": (7.1907, 125.4553, {"C": 5, "D": 5}),
}
SOFA = Product(sku="SOFA", made_to_order=True, workshop_location_id="ceb", build_instructions="Oak frame")


def network_locations() -> list[Location]:
    return [
        Location(
            location_id=location_id,
            name=location_id,
            type="warehouse",
            lat=lat,
            lon=lon,
            capabilities=Capabilities(same_day=location_id == "mnl"),
            same_day_radius_km=25,
            cut_off="14:00",
        )
        for location_id, (lat, lon, _) in NETWORK.items()
    ]


def network_stock() -> dict[tuple[str, str], int]:
    return {(sku, loc): units for loc, (_, _, stock) in NETWORK.items() for sku, units in stock.items()}


def body(lines: dict[str, int], **overrides: Any) -> CheckoutRequest:
    data: dict[str, Any] = {
        "customer": {"id": "c-1", "email": "ana@example.com", "type": "b2c"},
        "currency": "PHP",
        "lines": [{"sku": sku, "quantity": qty, "unit_price": 10000} for sku, qty in lines.items()],
        "shipping_address": {
            "name": "Ana Cruz",
            "line1": "1 Ayala Ave",
            "city": "Makati",
            "postal_code": "1226",
            "country": "PH",
        },
        "service_level": "standard",
        "payment": {"method": "card", "token": "tok_visa"},
    }
    data.update(overrides)
    return CheckoutRequest.model_validate(data)
