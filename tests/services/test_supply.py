"""Inbound supply and transfers in memory: receipts, transfers shipped and received, counts; units conserved
under duplicated and out-of-order events."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from oms import bootstrap
from oms.domain.errors import InsufficientStock, NotFound, Unprocessable
from oms.domain.lifecycle import NotYet
from oms.domain.messages import PartnerEvent
from oms.services import partner_events
from oms.services.deps import Deps
from oms.services.supply import create_transfer, put_inbound
from oms.store.memory import MemoryStore
from tests.network import MORNING, network_locations, network_stock
from tests.services.events import ERP, WAREHOUSE, event


def on_hand(store: MemoryStore, sku: str, location_id: str) -> tuple[int, int]:
    record = store.stock.get((sku, location_id))
    return (record.on_hand, record.reserved) if record else (0, 0)


def test_an_inbound_received_in_parts_adds_what_arrived_and_records_over_and_under(
    deps: Deps, store: MemoryStore
) -> None:
    put_inbound(deps, "po-1", "mnl", "2026-03-05T00:00:00Z", {"A": 10, "B": 4}, "Acme")
    assert deps.uow.supply.incoming(["A", "B"])[0].quantity == 10

    first = event("inbound.received", inbound_id="po-1", location_id="mnl", lines=[{"sku": "A", "quantity": 6}])
    assert partner_events.apply(deps, WAREHOUSE, first) == "received 6 unit(s); inbound partially_received"
    assert partner_events.apply(deps, WAREHOUSE, first) == "duplicate"  # receiving twice is impossible
    last = event(
        "inbound.received",
        inbound_id="po-1",
        location_id="mnl",
        lines=[{"sku": "A", "quantity": 5}, {"sku": "B", "quantity": 1}],
        complete=True,
    )
    partner_events.apply(deps, WAREHOUSE, last)

    assert on_hand(store, "A", "mnl") == (5 + 11, 0) and on_hand(store, "B", "mnl") == (1, 0)
    inbound = deps.uow.supply.inbound("po-1")
    assert inbound is not None and inbound.status == "received"
    assert sorted((d["sku"], d["kind"], d["quantity"]) for d in inbound.discrepancies) == [
        ("A", "over_received", 1),
        ("B", "under_received", 3),
    ]
    assert deps.uow.supply.incoming(["A", "B"]) == []  # nothing more is coming
    assert [a["inbound_id"] for a in store.audit if a["reason"] == "received"] == ["po-1"] * 3


def test_bad_inbounds_and_receipts_write_nothing(deps: Deps, store: MemoryStore) -> None:
    with pytest.raises(NotFound):
        put_inbound(deps, "po-x", "nowhere", "2026-03-05T00:00:00Z", {"A": 1}, None)
    with pytest.raises(Unprocessable):
        put_inbound(deps, "po-x", "mnl", "2026-03-05T00:00:00Z", {"TYPO": 1}, None)
    with pytest.raises(Unprocessable):
        put_inbound(deps, "po-x", "mnl", "2026-03-05T00:00:00Z", {"A": 0}, None)
    assert store.commits == 0
    unknown = event("inbound.received", inbound_id="po-none", location_id="mnl", lines=[{"sku": "A", "quantity": 1}])
    assert partner_events.apply(deps, WAREHOUSE, unknown).startswith("ignored: no inbound po-none")
    assert store.commits == 0


def test_a_transfer_reserves_at_once_ships_and_lands_with_units_conserved(deps: Deps, store: MemoryStore) -> None:
    transfer = create_transfer(deps, "mnl", "ceb", {"A": 3}, "rebalance")
    assert on_hand(store, "A", "mnl") == (5, 3)  # out of available at once

    received_early = event("transfer.received", transfer_id=transfer.transfer_id)
    with pytest.raises(NotYet):  # SQS delivers it again after the shipment
        partner_events.apply(deps, WAREHOUSE, received_early)
    shipped = event("transfer.shipped", transfer_id=transfer.transfer_id, lines=[{"sku": "A", "quantity": 2}])
    assert partner_events.apply(deps, WAREHOUSE, shipped) == "shipped 2 unit(s)"
    assert partner_events.apply(deps, WAREHOUSE, shipped) == "duplicate"
    assert on_hand(store, "A", "mnl") == (3, 0)  # two left, the unsent one back in available
    assert partner_events.apply(deps, WAREHOUSE, received_early) == "received 2 unit(s)"

    assert on_hand(store, "A", "ceb") == (7, 0)
    done = deps.uow.supply.transfer(transfer.transfer_id)
    assert done is not None and done.status == "received"
    assert [(d["kind"], d["quantity"]) for d in done.discrepancies] == [("short_shipped", 1)]


def test_bad_transfers_write_nothing(deps: Deps, store: MemoryStore) -> None:
    with pytest.raises(Unprocessable):
        create_transfer(deps, "mnl", "mnl", {"A": 1}, None)
    with pytest.raises(Unprocessable):
        create_transfer(deps, "mnl", "ceb", {"A": 0}, None)
    with pytest.raises(NotFound):
        create_transfer(deps, "mnl", "nowhere", {"A": 1}, None)
    with pytest.raises(InsufficientStock) as short:
        create_transfer(deps, "mnl", "ceb", {"A": 6}, None)
    assert short.value.extra["lines"] == [{"sku": "A", "requested": 6, "available": 5}]
    assert store.commits == 0 and store.transfers == {}


def test_only_the_source_ships_and_only_the_destination_receives(deps: Deps, store: MemoryStore) -> None:
    from dataclasses import replace

    transfer = create_transfer(deps, "mnl", "ceb", {"A": 1}, None)
    cebu = replace(WAREHOUSE, partner_id="ceb-wh", location_ids=frozenset({"ceb"}))
    shipped = event("transfer.shipped", transfer_id=transfer.transfer_id)
    assert partner_events.apply(deps, cebu, shipped).startswith(
        "refused: partner ceb-wh does not speak for location mnl"
    )
    assert on_hand(store, "A", "mnl") == (5, 1)


# -- units are conserved, whatever the order and number of deliveries ----------------------------------------


class SupplyChain(RuleBasedStateMachine):
    """Receipts, transfers (created, shipped short or whole, received short, whole or over), counts, and each
    partner event delivered late, early or twice. After every step: on hand plus in transit is what the
    documents and the audited counts say, and reserved is exactly what open transfers hold."""

    @initialize()
    def network(self) -> None:
        self.store = MemoryStore(locations={loc.location_id: loc for loc in network_locations()})
        for (sku, location_id), units in network_stock().items():
            self.store.put_stock(sku, location_id, units)
        self.deps = bootstrap.in_memory(self.store, MORNING)
        self.initial = {sku: sum(u for (s, _), u in network_stock().items() if s == sku) for sku in ("A", "C")}
        self.sent: list[PartnerEvent] = []
        self.transfers: list[str] = []
        self.inbounds = 0

    @rule(sku=st.sampled_from(["A", "C"]), location=st.sampled_from(["mnl", "ceb", "dvo"]), units=st.integers(1, 6))
    def an_inbound_is_put_and_received(self, sku: str, location: str, units: int) -> None:
        self.inbounds += 1
        inbound_id = f"po-{self.inbounds}"
        put_inbound(self.deps, inbound_id, location, "2026-03-05T00:00:00Z", {sku: units}, None)
        lines = [{"sku": sku, "quantity": max(0, units - 1 + self.inbounds % 3)}]
        self._deliver(event("inbound.received", inbound_id=inbound_id, location_id=location, lines=lines))

    @rule(
        sku=st.sampled_from(["A", "C"]),
        route=st.sampled_from([("mnl", "ceb"), ("ceb", "dvo"), ("dvo", "mnl"), ("mnl", "dvo")]),
        units=st.integers(1, 4),
    )
    def a_transfer_is_created(self, sku: str, route: tuple[str, str], units: int) -> None:
        try:
            self.transfers.append(create_transfer(self.deps, *route, {sku: units}, None).transfer_id)
        except InsufficientStock:
            pass

    @rule(pick=st.integers(0, 100), short=st.integers(0, 2), over=st.integers(-1, 1))
    def a_transfer_moves(self, pick: int, short: int, over: int) -> None:
        if not self.transfers:
            return
        transfer = self.deps.uow.supply.transfer(self.transfers[pick % len(self.transfers)])
        assert transfer is not None
        line = transfer.lines[0]
        if transfer.status == "requested":
            sent = [{"sku": line.sku, "quantity": max(0, line.quantity - short)}]
            self._deliver(event("transfer.shipped", transfer_id=transfer.transfer_id, lines=sent))
        else:
            came = [{"sku": line.sku, "quantity": max(0, line.shipped + over)}]
            self._deliver(event("transfer.received", transfer_id=transfer.transfer_id, lines=came))

    @rule(sku=st.sampled_from(["A", "C"]), location=st.sampled_from(["mnl", "ceb", "dvo"]), counted=st.integers(0, 8))
    def a_count_comes_in(self, sku: str, location: str, counted: int) -> None:
        self._deliver(event("inventory.counted", location_id=location, sku=sku, on_hand=counted), partner=ERP)

    @rule(pick=st.integers(0, 100))
    def an_event_is_delivered_again(self, pick: int) -> None:
        if self.sent:
            self._deliver(self.sent[pick % len(self.sent)])

    def _deliver(self, message: PartnerEvent, partner: object = WAREHOUSE) -> None:
        if message not in self.sent:
            self.sent.append(message)
        try:
            partner_events.apply(self.deps, partner, message)  # type: ignore[arg-type]
        except NotYet:
            pass  # SQS would deliver it again; a later rule may

    @invariant()
    def units_are_conserved(self) -> None:
        store = self.store
        for sku in ("A", "C"):
            located = sum(r.on_hand for (s, _), r in store.stock.items() if s == sku)
            transfers = [t for t in store.transfers.values() for line in t.lines if line.sku == sku]
            in_transit = sum(t.in_transit().get(sku, 0) for t in transfers)
            received = sum(line.received for i in store.inbounds.values() for line in i.lines if line.sku == sku)
            counted = sum(a["delta"] for a in store.audit if a["sku"] == sku and a["reason"] == "counted")
            settled = sum(line.received - line.shipped for t in transfers if t.status == "received" for line in t.lines)
            assert located + in_transit == self.initial[sku] + received + counted + settled
        for (sku, location_id), record in store.stock.items():
            held = sum(
                line.quantity
                for t in store.transfers.values()
                if t.status == "requested" and t.from_location_id == location_id
                for line in t.lines
                if line.sku == sku
            )
            assert record.reserved == held and 0 <= record.reserved <= record.on_hand


TestSupplyChain = SupplyChain.TestCase
TestSupplyChain.settings = settings(
    max_examples=60, stateful_step_count=30, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
