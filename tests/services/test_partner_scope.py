"""Partner scope (API.md "Partner scope"): an event outside its sender's roles or locations changes
nothing, and the order it names says so on its timeline."""

from __future__ import annotations

from dataclasses import replace

import pytest

from oms.domain import lifecycle
from oms.services import fulfil, partner_events
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.events import CARRIER, ERP, PAYMENTS, WAREHOUSE, event, packed

CEBU_ONLY = replace(WAREHOUSE, partner_id="ceb-wh", location_ids=frozenset({"ceb"}))


def released(deps: Deps) -> tuple[str, str]:
    """An order of 2 A shipping from mnl, released to the location: the moment a location packs."""
    order_id = place_order(deps, body({"A": 2}), "sf-1", "k1").order.order_id
    fulfil.screen_and_authorize(deps, order_id)
    shipment_id = load(deps, order_id).shipments[0].shipment_id
    fulfil.book_and_release(deps, order_id, shipment_id)
    return order_id, shipment_id


def phases(deps: Deps) -> dict[str, object]:
    return dict(deps.phases.started)  # type: ignore[attr-defined]  # the in-memory RecordingStarter


def refusals(deps: Deps, order_id: str) -> list[dict[str, object]]:
    return [e.detail for e in load(deps, order_id).timeline if e.type == partner_events.REFUSED]


def test_a_carrier_cannot_pack_a_shipment(deps: Deps, store: MemoryStore) -> None:
    order_id, shipment_id = released(deps)
    started = set(phases(deps))

    outcome = partner_events.apply(deps, CARRIER, packed(order_id, shipment_id))

    assert outcome.startswith("refused: partner carrier may not send shipment.packed")
    assert load(deps, order_id).shipments[0].status == "released"
    assert set(phases(deps)) == started  # no ship phase: nothing is captured or shipped
    assert [r["partner_id"] for r in refusals(deps, order_id)] == ["carrier"]


def test_a_location_partner_cannot_report_on_another_locations_shipment(deps: Deps, store: MemoryStore) -> None:
    order_id, shipment_id = released(deps)  # ships from mnl
    started = set(phases(deps))
    report = packed(order_id, shipment_id)

    assert partner_events.apply(deps, CEBU_ONLY, report) == "refused: partner ceb-wh does not speak for location mnl"
    assert partner_events.apply(deps, CEBU_ONLY, report) == "duplicate"  # recorded once

    assert load(deps, order_id).shipments[0].status == "released" and set(phases(deps)) == started
    assert [r["event_id"] for r in refusals(deps, order_id)] == [report.id]
    assert partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment_id)) == "packed"  # its own partner may


def test_a_location_partner_cannot_set_another_locations_stock(deps: Deps, store: MemoryStore) -> None:
    snapshot = event("inventory.snapshot", items=[{"location_id": "mnl", "sku": "A", "on_hand": 0}])

    assert partner_events.apply(deps, CEBU_ONLY, snapshot).startswith("refused: partner ceb-wh does not speak")
    assert store.stock[("A", "mnl")].on_hand == 5

    assert partner_events.apply(deps, ERP, snapshot) == "1 stock figure(s) applied"  # the ERP keeps every book
    assert store.stock[("A", "mnl")].on_hand == 0


def test_payment_notices_come_only_from_a_payments_partner(deps: Deps) -> None:
    order_id, _ = released(deps)
    chargeback = event("payment.chargeback", order_id=order_id, detail="disputed")

    assert partner_events.apply(deps, WAREHOUSE, chargeback).startswith("refused:")
    assert not any(e.type == "payment.chargeback" for e in load(deps, order_id).timeline)
    assert partner_events.apply(deps, PAYMENTS, event("payment.chargeback", order_id=order_id)) == "applied"


def test_a_made_to_order_shipment_is_packed_only_after_its_build_is_completed(deps: Deps) -> None:
    order_id = place_order(deps, body({"SOFA": 1}), "sf-1", "sofa").order.order_id
    fulfil.screen_and_authorize(deps, order_id)
    sofa = load(deps, order_id).shipments[0]
    fulfil.book_and_release(deps, order_id, sofa.shipment_id)
    assert sofa.made_to_order and sofa.location_id == "ceb"

    with pytest.raises(lifecycle.NotYet, match=r"build\.completed"):  # SQS delivers it again later
        partner_events.apply(deps, WAREHOUSE, packed(order_id, sofa.shipment_id))
    assert load(deps, order_id).shipments[0].status == "released"

    built = event("build.completed", order_id=order_id, shipment_id=sofa.shipment_id)
    assert partner_events.apply(deps, WAREHOUSE, built) == "applied"
    assert partner_events.apply(deps, WAREHOUSE, packed(order_id, sofa.shipment_id)) == "packed"
