"""An order's life through the services, as the phases run it: fulfil, pack, ship, deliver; and the ways
it ends early (decline, fraud, review, cancel, capture failure)."""

from __future__ import annotations

from oms.services import partner_events
from oms.services.checkout import place_order
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.review import review
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.events import CARRIER, WAREHOUSE, delivered, packed
from tests.services.flow import run_fulfil, run_ship


def test_an_order_is_authorized_released_paid_per_shipment_shipped_and_delivered(
    deps: Deps, store: MemoryStore
) -> None:
    order = place_order(deps, body({"A": 1, "B": 1, "C": 1, "D": 1}), "sf-1", "k").order
    assert run_fulfil(deps, order.order_id) == "released"
    for shipment in order.shipments:
        partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
        assert run_ship(deps, order.order_id, shipment.shipment_id) == "shipped"
        partner_events.apply(deps, CARRIER, delivered(order.order_id, shipment.shipment_id))

    done = load(deps, order.order_id)
    assert (done.status, done.payment.status) == ("delivered", "captured")
    assert done.payment.captured == done.totals.total == sum(s.value for s in done.shipments)
    assert {pair: (r.on_hand, r.reserved) for pair, r in store.stock.items() if r.reserved or r.on_hand < 5} == {
        ("A", "ceb"): (4, 0),
        ("B", "ceb"): (4, 0),
        ("C", "dvo"): (4, 0),
        ("D", "dvo"): (4, 0),
    }
    published = [kind for _, (kind, _) in deps.publisher.published]  # type: ignore[attr-defined]
    assert published.count("shipment.shipped") == 2 and published[-1] == "order.delivered"


def test_a_declined_card_rejects_the_order_with_the_reason_and_frees_its_stock(deps: Deps, store: MemoryStore) -> None:
    order = place_order(deps, body({"A": 2}, payment={"method": "card", "token": "tok_decline"}), "sf-1", "k").order
    assert run_fulfil(deps, order.order_id) == "rejected"
    rejected = load(deps, order.order_id)
    assert rejected.status == "rejected" and (rejected.reason or "").startswith("payment declined")
    assert rejected.payment.failure and store.stock[("A", "mnl")].reserved == 0


def test_a_review_holds_the_order_until_an_admin_approves_it(deps: Deps) -> None:
    customer = {"id": "c-9", "email": "ana@review.test", "type": "b2c"}
    order = place_order(deps, body({"A": 1}, customer=customer), "sf-1", "k").order
    assert run_fulfil(deps, order.order_id) == "review"
    assert load(deps, order.order_id).status == "on_hold"

    review(deps, order.order_id, "approve", by="admin:ops")

    assert load(deps, order.order_id).status == "accepted"
    assert f"{order.order_id}-fulfil-after_review" in deps.phases.started  # type: ignore[attr-defined]
    assert run_fulfil(deps, order.order_id) == "released"  # the screen is not asked again


def test_a_rejected_review_closes_the_order_and_frees_everything(deps: Deps, store: MemoryStore) -> None:
    customer = {"id": "c-9", "email": "ana@review.test", "type": "b2c"}
    order = place_order(deps, body({"A": 1}, customer=customer), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    closed = review(deps, order.order_id, "reject", by="admin:ops")
    assert (closed.status, store.stock[("A", "mnl")].reserved) == ("rejected", 0)
    assert closed.payment.status == "voided"  # never authorized: nothing pending any more


def test_an_order_the_fraud_screen_rejects_has_a_void_payment_not_a_pending_one(deps: Deps) -> None:
    customer = {"id": "c-9", "email": "ana@fraud.test", "type": "b2c"}
    order = place_order(deps, body({"A": 1}, customer=customer), "sf-1", "k").order
    assert run_fulfil(deps, order.order_id) == "rejected"
    assert load(deps, order.order_id).payment.status == "voided"


def test_a_cancel_before_packing_gives_back_stock_booking_release_and_authorization(
    deps: Deps, store: MemoryStore
) -> None:
    order = place_order(deps, body({"A": 2}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    cancelled = close(deps, order.order_id, "cancelled", "by the storefront")
    assert (cancelled.status, cancelled.payment.status) == ("cancelled", "voided")
    assert store.stock[("A", "mnl")].reserved == 0
    assert run_fulfil(deps, order.order_id) == "closed"  # a late phase ends quietly


def test_a_failed_capture_holds_the_shipment_with_its_stock(deps: Deps, store: MemoryStore) -> None:
    order = place_order(deps, body({"A": 1}, payment={"method": "card", "token": "tok_capture_fail"}), "sf-1", "k")
    order_id = order.order.order_id
    run_fulfil(deps, order_id)
    partner_events.apply(deps, WAREHOUSE, packed(order_id, "1"))
    assert run_ship(deps, order_id, "1") == "held"
    held = load(deps, order_id)
    assert held.shipments[0].status == "packed" and held.payment.failure
    assert store.stock[("A", "mnl")].reserved == 1
