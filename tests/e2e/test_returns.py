"""Returns over HTTP: a partial return of a 3-line order refunded to the minor unit, a damaged unit
quarantined, a return held for review and decided by an operator, bad requests refused with nothing
written; the storefront told of each step."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.conftest import ADMIN_KEY, Api, checkout_body, unique
from tests.e2e.test_partners import Receiver, receiver
from tests.e2e.test_supply import level, partner_event
from tests.e2e.test_webhooks import post_event, wait_for

__all__ = ["receiver"]  # the fixture, used by name

LOCATION = "mnl-wh-1"


def delivered_order(api: Api, lines: list[tuple[str, int]], **overrides: Any) -> dict[str, Any]:
    for sku, _ in lines:
        api.stock_at(LOCATION, sku, 10)
    placed = api.checkout(checkout_body(*lines, **overrides))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert [s["location_id"] for s in order["shipments"]] == [LOCATION]
    path = f"/v1/orders/{order['order_id']}"
    ref = {"order_id": order["order_id"], "shipment_id": order["shipments"][0]["shipment_id"]}
    assert wait_for(lambda: api.request("GET", path).json()["shipments"][0]["status"] == "released")
    assert post_event(api, "warehouse", partner_event("shipment.packed", **ref)).status_code == 202
    assert wait_for(lambda: api.request("GET", path).json()["status"] == "shipped")
    assert post_event(api, "carrier", partner_event("shipment.delivered", **ref)).status_code == 202
    assert wait_for(lambda: api.request("GET", path).json()["status"] == "delivered")
    return dict(api.request("GET", path).json())


def ask(api: Api, order_id: str, lines: list[tuple[str, int]], key: str | None = None) -> Any:
    body = {"lines": [{"sku": s, "quantity": q, "reason": "does not fit"} for s, q in lines]}
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    return api.request("POST", f"/v1/orders/{order_id}/returns", json=body, headers=headers)


def told(kind: str, return_id: str) -> list[dict[str, Any]]:
    events = [json.loads(body) for _, body in Receiver.received]
    return [e for e in events if e["type"] == kind and e["data"].get("return_id") == return_id]


def test_a_partial_return_of_a_three_line_order_is_refunded_to_the_minor_unit_and_the_damaged_unit_quarantined(
    api: Api, receiver: str
) -> None:
    storefront = api.admin("GET", "/v1/admin/storefronts/sf-local").json()
    config = {k: v for k, v in storefront.items() if k not in ("storefront_id", "webhook_secret")}
    returning = {**config, "webhook_url": receiver, "returns": {"refund_shipping": True}}
    assert api.admin("PUT", "/v1/admin/storefronts/sf-local", returning).status_code == 200
    try:
        a, b, c = unique("RA"), unique("RB"), unique("RC")
        order = delivered_order(api, [(a, 3), (b, 1), (c, 2)])
        key = str(uuid.uuid4())
        opened = ask(api, order["order_id"], [(a, 1), (b, 1)], key)
        assert opened.status_code == 201, opened.text
        ret = opened.json()
        assert ret["status"] == "approved" and ret["label"]["tracking_number"]
        assert ask(api, order["order_id"], [(a, 1), (b, 1)], key).json()["return_id"] == ret["return_id"]

        parcel = partner_event(
            "return.received",
            return_id=ret["return_id"],
            location_id=LOCATION,
            lines=[
                {"sku": a, "quantity": 1, "condition": "resellable"},
                {"sku": b, "quantity": 1, "condition": "damaged"},
            ],
        )
        assert post_event(api, "warehouse", parcel).status_code == 202

        def refunded() -> dict[str, Any]:
            found = api.request("GET", f"/v1/returns/{ret['return_id']}").json()
            return found if found["status"] == "refunded" else {}

        done = wait_for(refunded)
        assert done, api.request("GET", f"/v1/returns/{ret['return_id']}").json()
        # What the customer paid for those units, to the minor unit: a third of a's line, all of b's, and
        # their share of shipping (2 of the order's 6 units), largest remainder (the policy refunds shipping).
        lines = {line["sku"]: line for line in order["lines"]}
        goods = (lines[a]["line_total"] + lines[a]["tax"]) // 3 + lines[b]["line_total"] + lines[b]["tax"]
        assert done["refund"]["goods"] + done["refund"]["tax"] == goods
        shipping_tax = order["totals"]["tax"] - sum(line["tax"] for line in order["lines"])
        whole_shipping = order["totals"]["shipping"] + shipping_tax
        assert whole_shipping * 2 // 6 <= done["refund"]["shipping"] + done["refund"]["shipping_tax"]
        assert done["refund"]["shipping"] + done["refund"]["shipping_tax"] <= -(-whole_shipping * 2 // 6) + 1
        paid = api.request("GET", f"/v1/orders/{order['order_id']}").json()["payment"]
        assert paid["refunded"] == done["refund"]["total"] <= paid["captured"]

        assert level(api, a, LOCATION)["on_hand"] == 10 - 3 + 1
        damaged = level(api, b, LOCATION)
        assert (damaged["on_hand"], damaged["quarantined"]) == (10 - 1, 1)
        for kind in ("return.requested", "return.approved", "return.received", "return.refunded"):
            assert wait_for(lambda kind=kind: told(kind, ret["return_id"])), kind
        assert [
            r["return_id"] for r in api.request("GET", f"/v1/orders/{order['order_id']}/returns").json()["returns"]
        ] == [ret["return_id"]]
    finally:
        api.admin("PUT", "/v1/admin/storefronts/sf-local", config)


def test_a_return_held_for_review_is_decided_by_an_operator_and_bad_requests_write_nothing(api: Api) -> None:
    storefront = api.admin("GET", "/v1/admin/storefronts/sf-local").json()
    config = {k: v for k, v in storefront.items() if k not in ("storefront_id", "webhook_secret")}
    held_policy = {**config, "returns": {"auto_approve": False, "non_returnable": ["FINAL-SALE"]}}
    assert api.admin("PUT", "/v1/admin/storefronts/sf-local", held_policy).status_code == 200
    try:
        sku = unique("RV")
        order = delivered_order(api, [(sku, 2)])
        for lines, code in (
            ([(sku, 3)], "not_returnable"),  # more than delivered
            ([(unique("NOPE"), 1)], "not_returnable"),  # not on the order
        ):
            refused = ask(api, order["order_id"], lines)
            assert (refused.status_code, refused.json()["code"]) == (422, code), refused.text
        missing_key = api.request(
            "POST",
            f"/v1/orders/{order['order_id']}/returns",
            json={"lines": [{"sku": sku, "quantity": 1, "reason": "x"}]},
        )
        assert (missing_key.status_code, missing_key.json()["code"]) == (400, "idempotency_key_missing")
        assert ask(api, "ord_doesnotexist", [(sku, 1)]).status_code == 404
        assert api.request("GET", f"/v1/orders/{order['order_id']}/returns").json()["returns"] == []

        held = ask(api, order["order_id"], [(sku, 1)]).json()
        assert held["status"] == "requested" and held["label"] is None
        queue = api.admin("GET", "/v1/admin/returns").json()["returns"]
        assert held["return_id"] in [r["return_id"] for r in queue]
        approved = api.admin("POST", f"/v1/admin/returns/{held['return_id']}/decision", {"decision": "approve"})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert approved.json()["label"]["carrier"]
        again = api.admin("POST", f"/v1/admin/returns/{held['return_id']}/decision", {"decision": "reject"})
        assert (again.status_code, again.json()["code"]) == (409, "return_closed")
        other_storefront = api.request("GET", f"/v1/returns/{held['return_id']}", key=ADMIN_KEY)
        assert other_storefront.status_code == 403  # a storefront route: an admin key is not a storefront
    finally:
        api.admin("PUT", "/v1/admin/storefronts/sf-local", config)


def test_a_unit_cancelled_before_packing_goes_back_to_stock_and_the_authorization_shrinks(api: Api) -> None:
    sku, other = unique("LC"), unique("LK")
    for each in (sku, other):
        api.stock_at(LOCATION, each, 5)
    order = api.checkout(checkout_body((sku, 2), (other, 1))).json()
    path = f"/v1/orders/{order['order_id']}"
    assert wait_for(lambda: api.request("GET", path).json()["shipments"][0]["status"] == "released")
    authorized = api.request("GET", path).json()["payment"]["authorized"]

    cancelled = api.request("POST", f"{path}/lines/cancel", json={"lines": [{"sku": sku, "quantity": 1}]})
    assert cancelled.status_code == 200, cancelled.text
    after = cancelled.json()
    line = next(ln for ln in order["lines"] if ln["sku"] == sku)
    price = line["unit_price"] + line["tax"] // 2
    assert after["payment"]["authorized"] == authorized - price
    assert after["totals"]["total"] == order["totals"]["total"] - price
    assert api.stock(sku)["reserved"] == 1
    # Booked and released again with what is left.
    assert wait_for(lambda: api.request("GET", path).json()["shipments"][0]["status"] == "released")
    assert {ln["sku"]: ln["quantity"] for ln in api.request("GET", path).json()["shipments"][0]["lines"]} == {
        sku: 1,
        other: 1,
    }
    too_many = api.request("POST", f"{path}/lines/cancel", json={"lines": [{"sku": sku, "quantity": 5}]})
    assert (too_many.status_code, too_many.json()["code"]) == (409, "units_not_cancellable")
    assert api.stock(sku)["reserved"] == 1
