"""The order lifecycle over HTTP, as storefronts and partners drive it, with the invariants checked after each.

Invariants (checked by `assert_invariants` after every scenario): units are conserved per (sku, location),
returned units included (resellable back on hand, damaged quarantined); captured never exceeds
authorized; captured equals the value of the shipments that left; refunded never exceeds captured, per
order and per line; no unit is returned (or refunded) twice, and a rejected or abandoned return holds
nothing; a cancelled or rejected order holds no stock and no open authorization; no order is stuck
without a visible reason.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from oms.signing import sign
from tests.e2e.conftest import ADMIN_KEY, PARTNER_SECRET, Api, checkout_body, unique

LEFT = {"shipped", "delivered"}


@dataclass
class World:
    """The stock one scenario owns (its own skus and locations) and the orders it placed."""

    api: Api
    stock: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: list[str] = field(default_factory=list)

    def location(self, name: str, lat: float, lon: float) -> str:
        location_id = unique(name)
        self.api.location(location_id, lat, lon)
        return location_id

    def put(self, location_id: str, sku: str, units: int) -> None:
        self.api.stock_at(location_id, sku, units)
        self.stock[(sku, location_id)] = units

    def place(self, *lines: tuple[str, int], **overrides: Any) -> str:
        reply = self.api.checkout(checkout_body(*lines, **overrides))
        assert reply.status_code == 201, reply.text
        self.orders.append(reply.json()["order_id"])
        return str(reply.json()["order_id"])

    def order(self, order_id: str) -> dict[str, Any]:
        return dict(self.api.request("GET", f"/v1/orders/{order_id}").json())

    def wait(self, order_id: str, check: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            order = self.order(order_id)
            if check(order):
                return order
            if time.monotonic() > deadline:
                raise AssertionError(f"order never got there: {json.dumps(order, indent=1)[:3000]}")
            time.sleep(0.1)

    def status(self, order_id: str, status: str) -> dict[str, Any]:
        return self.wait(order_id, lambda o: o["status"] == status)

    def shipment(self, order_id: str, shipment_id: str, status: str) -> dict[str, Any]:
        return self.wait(
            order_id, lambda o: next(s for s in o["shipments"] if s["shipment_id"] == shipment_id)["status"] == status
        )

    def webhook(self, partner: str, kind: str, data: dict[str, Any], event_id: str | None = None) -> str:
        event_id = event_id or str(uuid.uuid4())
        body = json.dumps({"id": event_id, "type": kind, "occurred_at": "2026-11-26T02:00:00Z", "data": data}).encode()
        reply = self.api.request(
            "POST",
            f"/v1/webhooks/{partner}",
            key=None,
            data=body,
            headers={"OMS-Signature": sign(body, PARTNER_SECRET, int(time.time())), "Content-Type": "application/json"},
        )
        assert reply.status_code == 202, reply.text
        return event_id

    def review(self, order_id: str, decision: str) -> Any:
        return self.api.request(
            "POST", f"/v1/admin/orders/{order_id}/review", key=ADMIN_KEY, json={"decision": decision}
        )

    def deliver(self, order_id: str, shipment_id: str) -> None:
        self.webhook("warehouse", "shipment.packed", {"order_id": order_id, "shipment_id": shipment_id})
        self.shipment(order_id, shipment_id, "shipped")
        self.webhook("carrier", "shipment.delivered", {"order_id": order_id, "shipment_id": shipment_id})
        self.shipment(order_id, shipment_id, "delivered")


@pytest.fixture
def world(api: Api) -> World:
    return World(api)


@pytest.fixture
def sku(world: World) -> str:
    """A sku at two locations: Makati (near the default address) and Cebu."""
    name = unique("LIFE")
    world.put(world.location("mkt", 14.55, 121.02), name, 5)
    world.put(world.location("ceb", 10.32, 123.89), name, 5)
    return name


def assert_returns(world: World, order: dict[str, Any], back: dict[str, dict[tuple[str, str], int]]) -> None:
    """Refunds within what was captured, per order and per line; each unit returned at most once; what came
    back counted by condition and location (into `back`)."""
    returns = world.api.request("GET", f"/v1/orders/{order['order_id']}/returns").json()["returns"]
    delivered: dict[str, int] = defaultdict(int)
    for shipment in order["shipments"]:
        if shipment["status"] in LEFT:
            for line in shipment["lines"]:
                delivered[line["sku"]] += line["quantity"]
    returned: dict[str, int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    for ret in returns:
        holds = ret["status"] != "rejected" and not (ret["status"] == "closed" and ret["received_at"] is None)
        for line in ret["lines"]:
            returned[line["sku"]] += line["quantity"] if holds else 0
            if line["location_id"]:
                back["resellable"][(line["sku"], line["location_id"])] += line["received_resellable"]
                back["damaged"][(line["sku"], line["location_id"])] += line["received_damaged"]
        if ret["status"] in ("refunded", "closed") and ret["refund"] and ret["refunded_at"]:
            for line in ret["refund"]["lines"]:
                refunded[line["sku"]] += line["total"]
    assert all(returned[sku] <= delivered[sku] for sku in returned), (returned, delivered)
    assert order["payment"]["refunded"] == sum(refunded.values()) <= order["payment"]["captured"], order
    shipping = order["totals"]["shipping"] + order["totals"]["tax"] - sum(ln["tax"] for ln in order["lines"])
    for line in order["lines"]:  # a line gives back at most its goods, their tax and all the shipping
        assert refunded[line["sku"]] <= line["line_total"] + line["tax"] + shipping, (line, refunded)


def assert_invariants(world: World) -> None:
    orders = [world.order(order_id) for order_id in world.orders]
    left: dict[tuple[str, str], int] = defaultdict(int)
    held: dict[tuple[str, str], int] = defaultdict(int)
    back: dict[str, dict[tuple[str, str], int]] = {"resellable": defaultdict(int), "damaged": defaultdict(int)}
    for order in orders:
        assert_returns(world, order, back)
        payment = order["payment"]
        assert payment["captured"] <= payment["authorized"] or payment["status"] == "voided", order
        gone = [s for s in order["shipments"] if s["status"] in LEFT]
        assert payment["captured"] == sum(s["value"] for s in gone) + sum(
            s["captured"] for s in order["shipments"] if s["status"] == "packed"
        ), order
        for shipment in order["shipments"]:
            for line in shipment["lines"]:
                pair = (line["sku"], shipment["location_id"])
                if shipment["status"] in LEFT:
                    left[pair] += line["quantity"]
                elif shipment["status"] not in ("cancelled", "rejected") and line["reserved"]:
                    held[pair] += line["quantity"]
        if order["status"] in ("cancelled", "rejected"):
            assert order["reason"], order
            assert all(s["status"] in LEFT | {"cancelled"} for s in order["shipments"]), order
            assert payment["authorized"] == payment["captured"], order  # nothing left on hold
        if order["status"] == "on_hold":
            assert order["reason"], order
    for (sku, location_id), units in world.stock.items():
        level = next(lv for lv in world.api.stock(sku)["locations"] if lv["location_id"] == location_id)
        pair = (sku, location_id)
        assert level["on_hand"] == units - left[pair] + back["resellable"][pair], (sku, location_id, level)
        assert level["quarantined"] == back["damaged"][pair], (sku, location_id, level)
        assert level["reserved"] == held[pair], (sku, location_id, level)


def test_an_order_goes_from_checkout_to_delivered_with_payment_captured_at_pack(world: World, sku: str) -> None:
    order_id = world.place((sku, 2))
    order = world.status(order_id, "processing")
    (shipment,) = order["shipments"]
    assert (shipment["status"], order["payment"]["status"]) == ("released", "authorized")
    assert shipment["carrier"] and shipment["tracking_number"]
    world.deliver(order_id, shipment["shipment_id"])
    order = world.status(order_id, "delivered")
    assert order["payment"]["captured"] == order["totals"]["total"]
    assert order["payment"]["status"] == "captured"
    types = [e["type"] for e in order["timeline"]]
    assert types.index("payment.captured") < types.index("shipment.shipped") < types.index("shipment.delivered")
    assert_invariants(world)


def test_a_split_order_captures_each_shipment_as_it_ships(world: World, sku: str) -> None:
    order_id = world.place((sku, 8))
    order = world.status(order_id, "processing")
    first, second = (s["shipment_id"] for s in order["shipments"])
    world.deliver(order_id, first)
    order = world.status(order_id, "partially_shipped")
    assert order["payment"]["status"] == "partially_captured"
    assert_invariants(world)
    world.deliver(order_id, second)
    order = world.status(order_id, "delivered")
    assert order["payment"]["captured"] == order["totals"]["total"]
    assert_invariants(world)


def test_a_declined_card_rejects_the_order_and_releases_its_stock(world: World, sku: str) -> None:
    order_id = world.place((sku, 2), payment={"method": "card", "token": "tok_decline"})
    order = world.status(order_id, "rejected")
    assert "payment declined" in order["reason"]
    assert order["payment"]["status"] == "failed"
    assert_invariants(world)


def test_a_failed_capture_holds_the_shipment_with_its_stock_and_says_why(world: World, sku: str) -> None:
    order_id = world.place((sku, 1), payment={"method": "card", "token": "tok_capture_fail"})
    (shipment,) = world.status(order_id, "processing")["shipments"]
    world.webhook("warehouse", "shipment.packed", {"order_id": order_id, "shipment_id": shipment["shipment_id"]})
    order = world.wait(order_id, lambda o: bool(o["shipments"][0]["issue"]))
    assert order["shipments"][0]["status"] == "packed"
    assert "capture failed" in order["shipments"][0]["issue"]
    assert order["payment"]["failure"]
    assert "payment.capture_failed" in [e["type"] for e in order["timeline"]]
    assert_invariants(world)


def test_the_fraud_screen_rejects_an_order(world: World, sku: str) -> None:
    order_id = world.place((sku, 1), customer={"id": "c-9", "email": "mallory@fraud.test", "type": "b2c"})
    order = world.status(order_id, "rejected")
    assert "fraud" in order["reason"]
    assert_invariants(world)


def test_an_order_held_for_review_continues_when_approved(world: World, sku: str) -> None:
    order_id = world.place((sku, 1), customer={"id": "c-8", "email": "bob@review.test", "type": "b2c"})
    order = world.status(order_id, "on_hold")
    assert "review" in order["reason"]
    assert_invariants(world)
    reply = world.review(order_id, "approve")
    assert reply.status_code == 200, reply.text
    world.status(order_id, "processing")
    assert_invariants(world)
    again = world.review(order_id, "approve")
    assert (again.status_code, again.json()["code"]) == (409, "not_on_hold")


def test_an_order_held_for_review_is_released_when_rejected(world: World, sku: str) -> None:
    order_id = world.place((sku, 3), customer={"id": "c-7", "email": "eve@review.test", "type": "b2c"})
    world.status(order_id, "on_hold")
    reply = world.review(order_id, "reject")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "rejected"
    assert_invariants(world)


def test_an_order_cancelled_before_packing_gives_everything_back(world: World, sku: str) -> None:
    order_id = world.place((sku, 2))
    world.status(order_id, "processing")
    reply = world.api.request("POST", f"/v1/orders/{order_id}/cancel")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "cancelled"
    assert world.api.request("POST", f"/v1/orders/{order_id}/cancel").status_code == 200
    assert_invariants(world)


def test_an_order_that_shipped_cannot_be_cancelled(world: World, sku: str) -> None:
    order_id = world.place((sku, 1))
    (shipment,) = world.status(order_id, "processing")["shipments"]
    world.deliver(order_id, shipment["shipment_id"])
    reply = world.api.request("POST", f"/v1/orders/{order_id}/cancel")
    assert (reply.status_code, reply.json()["code"]) == (409, "not_cancellable")
    assert_invariants(world)


def test_a_location_that_rejects_a_pick_has_the_shipment_rerouted(world: World, sku: str) -> None:
    order_id = world.place((sku, 2))
    (shipment,) = world.status(order_id, "processing")["shipments"]
    first = shipment["location_id"]
    world.webhook(
        "warehouse",
        "shipment.rejected",
        {"order_id": order_id, "shipment_id": shipment["shipment_id"], "reason": "damaged stock"},
    )
    order = world.wait(
        order_id, lambda o: o["shipments"][0]["location_id"] != first and o["shipments"][0]["status"] == "released"
    )
    assert order["status"] == "processing"
    assert "shipment.rerouted" in [e["type"] for e in order["timeline"]]
    assert_invariants(world)
    world.deliver(order_id, shipment["shipment_id"])
    world.status(order_id, "delivered")
    assert_invariants(world)


def test_a_shipment_no_other_location_can_take_is_cancelled_with_its_money(world: World) -> None:
    only = unique("ONLY")
    world.put(world.location("solo", 14.6, 121.0), only, 3)
    order_id = world.place((only, 2))
    (shipment,) = world.status(order_id, "processing")["shipments"]
    world.webhook("warehouse", "shipment.rejected", {"order_id": order_id, "shipment_id": shipment["shipment_id"]})
    order = world.status(order_id, "cancelled")
    assert order["shipments"][0]["status"] == "cancelled"
    assert order["payment"]["status"] == "voided", json.dumps(order, indent=1)
    assert_invariants(world)


def test_duplicate_and_out_of_order_partner_events_have_one_effect(world: World, sku: str) -> None:
    order_id = world.place((sku, 1))
    (shipment,) = world.status(order_id, "processing")["shipments"]
    ref = {"order_id": order_id, "shipment_id": shipment["shipment_id"]}
    # The carrier's "delivered" arrives before the location's "packed": it waits for the shipment.
    world.webhook("carrier", "shipment.delivered", ref)
    packed = world.webhook("warehouse", "shipment.packed", ref)
    world.webhook("warehouse", "shipment.packed", ref, event_id=packed)  # a duplicate delivery
    order = world.status(order_id, "delivered")
    assert [e["type"] for e in order["timeline"]].count("shipment.packed") == 1
    assert [e["type"] for e in order["timeline"]].count("payment.captured") == 1
    world.webhook("warehouse", "shipment.packed", ref, event_id=packed)  # a replay long after
    time.sleep(1.5)
    assert world.order(order_id)["timeline"] == order["timeline"]
    assert_invariants(world)


def test_a_b2b_invoice_order_is_credit_checked_and_invoiced_at_pack(world: World, sku: str) -> None:
    order_id = world.place(
        (sku, 2),
        customer={"id": "acme-ph", "email": "ap@acme.test", "type": "b2b", "company": "Acme PH", "tax_id": "123"},
        po_number="PO-1",
        payment={"method": "invoice"},
        ship_complete=True,
    )
    order = world.status(order_id, "processing")
    assert (order["payment"]["method"], order["payment"]["status"]) == ("invoice", "authorized")
    world.deliver(order_id, order["shipments"][0]["shipment_id"])
    assert world.status(order_id, "delivered")["payment"]["captured"] == order["totals"]["total"]
    assert_invariants(world)


def test_a_b2b_order_above_the_credit_limit_is_rejected(world: World, sku: str) -> None:
    big = [{"sku": sku, "quantity": 1, "unit_price": 9_000_000}]
    order_id = world.place(
        (sku, 1),
        customer={"id": "tiny-co", "email": "ap@tiny.test", "type": "b2b", "company": "Tiny", "tax_id": "9"},
        payment={"method": "invoice"},
        lines=big,
    )
    order = world.status(order_id, "rejected")
    assert "credit limit" in order["reason"]
    assert_invariants(world)


def test_a_made_to_order_item_goes_to_its_workshop_with_build_instructions(world: World) -> None:
    order_id = world.place(("CUSTOM-SOFA", 1))
    (shipment,) = world.status(order_id, "processing")["shipments"]
    assert shipment["location_id"] == "ceb-workshop"
    assert shipment["build_instructions"] == "Frame in oak; fabric per line note"
    ref = {"order_id": order_id, "shipment_id": shipment["shipment_id"]}
    world.webhook("warehouse", "build.completed", ref)
    world.wait(order_id, lambda o: "build.completed" in [e["type"] for e in o["timeline"]])
    world.deliver(order_id, shipment["shipment_id"])
    world.status(order_id, "delivered")
    assert_invariants(world)


def test_an_address_no_carrier_serves_rejects_the_order(world: World, sku: str) -> None:
    body_address = {"name": "X", "line1": "1 Nowhere", "city": "Nowhere", "postal_code": "00000", "country": "PH"}
    order_id = world.place((sku, 1), shipping_address=body_address)
    order = world.status(order_id, "rejected")
    assert "carrier" in order["reason"]
    assert_invariants(world)


def test_units_cancelled_returned_damaged_and_refunded_keep_every_count_true(world: World, sku: str) -> None:
    other = unique("LIFE2")
    near = next(loc for (each, loc) in world.stock if each == sku)
    world.put(near, other, 5)
    order_id = world.place((sku, 3), (other, 2))
    order = world.status(order_id, "processing")
    cancelled = world.api.request(
        "POST", f"/v1/orders/{order_id}/lines/cancel", json={"lines": [{"sku": other, "quantity": 1}]}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert_invariants(world)
    order = world.wait(order_id, lambda o: all(s["status"] == "released" for s in o["shipments"]))
    for shipment in order["shipments"]:
        world.deliver(order_id, shipment["shipment_id"])
    world.status(order_id, "delivered")
    lines = [{"sku": sku, "quantity": 2, "reason": "too big"}, {"sku": other, "quantity": 1, "reason": "broken"}]
    opened = world.api.request(
        "POST", f"/v1/orders/{order_id}/returns", json={"lines": lines}, headers={"Idempotency-Key": unique("ret")}
    )
    assert opened.status_code == 201, opened.text
    ret = opened.json()
    world.webhook(
        "warehouse",
        "return.received",
        {
            "return_id": ret["return_id"],
            "location_id": ret["location_id"],
            "lines": [
                {"sku": sku, "quantity": 1, "condition": "resellable"},
                {"sku": sku, "quantity": 1, "condition": "damaged"},
                {"sku": other, "quantity": 1, "condition": "damaged"},
            ],
        },
    )
    world.wait(order_id, lambda o: o["payment"]["refunded"] > 0)
    assert_invariants(world)
    more = world.api.request(
        "POST",
        f"/v1/orders/{order_id}/returns",
        json={"lines": [{"sku": other, "quantity": 1, "reason": "again"}]},
        headers={"Idempotency-Key": unique("ret")},
    )
    assert (more.status_code, more.json()["code"]) == (422, "not_returnable")  # its one delivered unit came back
