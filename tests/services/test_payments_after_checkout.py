"""Payments after checkout, in memory and on an injected clock: an authorization renewed before it lapses
(or its shipments held when it cannot be), an asynchronous authorization confirmed or timed out, cash on
delivery remitted, and a COD parcel refused at the door coming back without a refund."""

from __future__ import annotations

import pytest

from oms import bootstrap
from oms.clock import FrozenClock
from oms.domain.errors import Unprocessable
from oms.services import partner_events
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.steps import load
from oms.services.sweep import sweep_due_orders
from oms.store.memory import MemoryStore
from tests.network import MORNING, body
from tests.services.conftest import spy
from tests.services.events import CARRIER, PAYMENTS, WAREHOUSE, delivered, event, packed
from tests.services.flow import run_fulfil, run_ship


@pytest.fixture
def deps(store: MemoryStore) -> Deps:
    return bootstrap.in_memory(store, FrozenClock(MORNING.now()))  # its own clock: these tests move it


def later(deps: Deps, **delta: float) -> None:
    deps.clock.advance(**delta)  # type: ignore[attr-defined]


def kinds(deps: Deps) -> list[str]:
    return [kind for _, (kind, _) in deps.publisher.published]  # type: ignore[attr-defined]


def test_a_card_authorization_is_renewed_a_day_before_it_lapses_and_the_old_one_voided(deps: Deps) -> None:
    order = place_order(deps, body({"A": 1}), "sf-1", "k").order
    assert run_fulfil(deps, order.order_id) == "released"
    first = load(deps, order.order_id).payment
    assert first.authorization_expires_at is not None  # the sandbox's card: seven days
    partners = spy(deps, payment={})

    later(deps, days=5)
    assert sweep_due_orders(deps)["payments"] == []  # not yet
    later(deps, days=1, minutes=1)
    assert sweep_due_orders(deps)["payments"] == [f"{order.order_id}: renewed {first.authorized}"]
    renewed = load(deps, order.order_id).payment
    assert renewed.authorization_id != first.authorization_id
    assert renewed.authorization_expires_at and renewed.authorization_expires_at > first.authorization_expires_at
    assert partners["payment"].calls == ["authorize", "void"]
    assert kinds(deps).count("payment.reauthorized") == 1
    assert sweep_due_orders(deps)["payments"] == []  # renewed once

    (shipment,) = order.shipments
    partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
    assert run_ship(deps, order.order_id, shipment.shipment_id) == "shipped"  # captured on the new one
    assert load(deps, order.order_id).payment.captured == first.authorized


def test_a_renewal_the_issuer_refuses_holds_the_shipment_instead_of_shipping_unpaid_goods(
    deps: Deps, store: MemoryStore
) -> None:
    order = place_order(deps, body({"A": 1}, payment={"method": "card", "token": "tok_no_renewal"}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    later(deps, days=6, minutes=1)
    (outcome,) = sweep_due_orders(deps)["payments"]
    assert outcome.endswith("renewal refused: the issuer declined the renewal")
    marked = load(deps, order.order_id)
    assert marked.payment.failure and "could not be renewed" in marked.payment.failure
    assert kinds(deps).count("payment.reauthorization_failed") == 1

    later(deps, days=1)  # lapsed
    (shipment,) = order.shipments
    partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
    assert run_ship(deps, order.order_id, shipment.shipment_id) == "held"
    held = load(deps, order.order_id)
    assert held.payment.captured == 0 and held.shipments[0].status == "packed"
    assert store.stock[("A", "mnl")].reserved == 1  # the goods wait with their stock


def test_an_asynchronous_authorization_keeps_the_stock_until_it_is_confirmed_or_times_out(
    deps: Deps, store: MemoryStore
) -> None:
    pending = {"method": "card", "token": "tok_pending"}
    confirmed = place_order(deps, body({"A": 1}, payment=pending), "sf-1", "k-1").order
    timed_out = place_order(deps, body({"C": 1}, payment=pending), "sf-1", "k-2").order
    assert run_fulfil(deps, confirmed.order_id) == "pending"
    assert run_fulfil(deps, timed_out.order_id) == "pending"
    waiting = load(deps, confirmed.order_id)
    assert waiting.payment.status == "pending" and waiting.shipments[0].status == "allocated"
    assert store.stock[("A", "mnl")].reserved == 1

    answer = event("payment.authorized", order_id=confirmed.order_id, amount=waiting.totals.total)
    partner_events.apply(deps, PAYMENTS, answer)
    assert load(deps, confirmed.order_id).payment.status == "authorized"
    phase = deps.phases.started[f"{confirmed.order_id}-fulfil-after_payment"]  # type: ignore[attr-defined]
    assert phase.payload["resume"] == "after_payment"
    assert run_fulfil(deps, confirmed.order_id) == "released"

    later(deps, minutes=31)
    assert sweep_due_orders(deps)["payments"] == [f"{timed_out.order_id}: rejected: authorization not confirmed"]
    rejected = load(deps, timed_out.order_id)
    assert rejected.status == "rejected" and store.stock[("C", "mnl")].reserved == 0

    refused = place_order(deps, body({"C": 1}, payment=pending), "sf-1", "k-3").order
    run_fulfil(deps, refused.order_id)
    partner_events.apply(deps, PAYMENTS, event("payment.failed", order_id=refused.order_id, detail="3DS failed"))
    assert load(deps, refused.order_id).status == "rejected" and store.stock[("C", "mnl")].reserved == 0


def test_cash_on_delivery_ships_unpaid_and_is_captured_when_the_carrier_remits(deps: Deps, store: MemoryStore) -> None:
    partners = spy(deps, payment={})
    order = place_order(deps, body({"A": 1}, payment={"method": "cod"}), "sf-1", "k").order
    assert run_fulfil(deps, order.order_id) == "released"
    (shipment,) = order.shipments
    partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
    assert run_ship(deps, order.order_id, shipment.shipment_id) == "shipped"
    assert partners["payment"].calls == []  # nothing authorized, nothing captured by the provider
    early = event("payment.cod_remitted", order_id=order.order_id, shipment_id="1", amount=order.totals.total)
    partner_events.apply(deps, CARRIER, delivered(order.order_id, shipment.shipment_id))
    partner_events.apply(deps, CARRIER, early)
    partner_events.apply(deps, CARRIER, early)  # once
    paid = load(deps, order.order_id)
    assert (paid.status, paid.payment.status, paid.payment.captured) == ("delivered", "captured", order.totals.total)

    store.storefronts["sf-1"] = {"cod_limit": 100}
    commits = store.commits
    with pytest.raises(Unprocessable) as too_much:
        place_order(deps, body({"A": 1}, payment={"method": "cod"}), "sf-1", "k-2")
    assert too_much.value.code == "cod_limit_exceeded" and store.commits == commits


def test_a_cod_parcel_refused_at_the_door_comes_back_as_a_return_that_refunds_nothing(
    deps: Deps, store: MemoryStore
) -> None:
    order = place_order(deps, body({"A": 1}, payment={"method": "cod"}), "sf-1", "k").order
    run_fulfil(deps, order.order_id)
    (shipment,) = order.shipments
    partner_events.apply(deps, WAREHOUSE, packed(order.order_id, shipment.shipment_id))
    run_ship(deps, order.order_id, shipment.shipment_id)
    on_hand = store.stock[("A", "mnl")].on_hand
    refused = event("shipment.exception", order_id=order.order_id, shipment_id="1", detail="refused by the customer")
    partner_events.apply(deps, CARRIER, refused)
    (ret,) = deps.uow.returns.of_order(order.order_id)
    assert ret.status == "in_transit" and ret.location_id == "mnl"
    back = event(
        "return.received",
        return_id=ret.return_id,
        location_id="mnl",
        lines=[{"sku": "A", "quantity": 1, "condition": "resellable"}],
    )
    partner_events.apply(deps, WAREHOUSE, back)
    done = deps.uow.returns.get(ret.return_id)
    assert done is not None and done.status == "refunded" and done.refund is not None and done.refund.total == 0
    assert store.stock[("A", "mnl")].on_hand == on_hand + 1
    assert load(deps, order.order_id).payment.refunded == 0
