"""The memory unit of work is a faithful stand-in: the same writes are refused, by type, on both stores.

Every scenario runs twice, on DynamoDB (moto, the synthesized tables) and in memory, so the service tests
that use the memory store test what DynamoDB would do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from oms import bootstrap
from oms.domain.backorder import Lot, Promised
from oms.domain.channels import Told
from oms.domain.health import Record
from oms.domain.models import StockLevel
from oms.domain.returns import Return, ReturnLine, return_id_for
from oms.domain.supply import Inbound, InboundLine, Transfer, TransferLine
from oms.ports.unit_of_work import (
    ClaimIdempotencyKey,
    CommitRefused,
    CountShipment,
    DropPromise,
    EndHold,
    MarkEventApplied,
    MoveToBuckets,
    NewHold,
    OpenBalance,
    OrderChange,
    PromiseUnits,
    ReceiveUnits,
    Reservation,
    SaveHealth,
    SaveInbound,
    SaveReturn,
    SaveTold,
    SaveTransfer,
    ServePromise,
    SetStockLevel,
    ShipUnits,
    Write,
)
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.store.memory import MemoryStore
from tests.network import MORNING, body, network_locations, network_stock


@pytest.fixture(params=["dynamodb", "memory"])
def deps(request: pytest.FixtureRequest) -> Deps:
    if request.param == "dynamodb":
        request.getfixturevalue("network")
        return bootstrap.aws(MORNING)
    memory = MemoryStore(locations={loc.location_id: loc for loc in network_locations()})
    for (sku, location_id), units in network_stock().items():
        memory.put_stock(sku, location_id, units)
    return bootstrap.in_memory(memory, MORNING)


def refused(deps: Deps, *writes: Write) -> CommitRefused:
    deps.uow.add(*writes)
    with pytest.raises(CommitRefused) as caught:
        deps.uow.commit()
    return caught.value


def level(deps: Deps, sku: str, location_id: str) -> tuple[int, int]:
    found = deps.uow.stock.level(sku, location_id)
    assert found is not None
    return found.on_hand, found.reserved


def test_a_reservation_beyond_what_is_available_is_refused_by_name_and_nothing_lands(deps: Deps) -> None:
    refusal = refused(deps, Reservation("C", "mnl", 1), Reservation("A", "mnl", 6))
    assert refusal.refused == (Reservation("A", "mnl", 6),) and not refusal.conflict
    assert level(deps, "C", "mnl") == (5, 0)


def test_a_release_or_shipment_beyond_what_is_reserved_is_refused(deps: Deps) -> None:
    deps.uow.add(Reservation("A", "mnl", 2))
    deps.uow.commit()
    assert refused(deps, Reservation("A", "mnl", -3)).of(Reservation) == [Reservation("A", "mnl", -3)]
    assert refused(deps, ShipUnits("A", "mnl", 3)).of(ShipUnits) == [ShipUnits("A", "mnl", 3)]
    deps.uow.add(ShipUnits("A", "mnl", 2))
    deps.uow.commit()
    assert level(deps, "A", "mnl") == (3, 0)


def test_a_stock_record_that_does_not_exist_reserves_nothing(deps: Deps) -> None:
    assert refused(deps, Reservation("Z", "mnl", 1)).of(Reservation) == [Reservation("Z", "mnl", 1)]


def test_a_full_location_refuses_the_next_shipment_count(deps: Deps) -> None:
    deps.uow.add(CountShipment("mnl", "2026-03-02", 1))
    deps.uow.commit()
    assert refused(deps, CountShipment("mnl", "2026-03-02", 1)).of(CountShipment)[0].location_id == "mnl"


def test_an_order_saved_by_someone_else_refuses_a_change_made_on_the_old_version(deps: Deps) -> None:
    order = place_order(deps, body({"A": 1}), "sf-1", "k").order
    first, second = deps.uow.orders.get(order.order_id), deps.uow.orders.get(order.order_id)
    assert first is not None and second is not None
    deps.uow.add(OrderChange(first, first.version))
    deps.uow.commit()
    assert first.version == second.version + 1
    assert refused(deps, OrderChange(second, second.version)).of(OrderChange)[0].order is second


def test_a_claimed_idempotency_key_cannot_be_claimed_again(deps: Deps) -> None:
    claim: Callable[[str], ClaimIdempotencyKey] = lambda oid: ClaimIdempotencyKey("sf-1", "k", "h", oid, MORNING.now())  # noqa: E731
    deps.uow.add(claim("ord_1"))
    deps.uow.commit()
    assert refused(deps, claim("ord_2")).of(ClaimIdempotencyKey)[0].order_id == "ord_2"
    assert (deps.uow.idempotency.get("sf-1", "k", MORNING.now()) or {})["order_id"] == "ord_1"


def test_a_hold_ends_once_and_only_for_its_storefront(deps: Deps) -> None:
    hold = {"hold_id": "hold_1", "storefront_id": "sf-1", "status": "active", "expires_at": "2026-03-02T02:00:00Z"}
    deps.uow.add(NewHold(hold))
    deps.uow.commit()
    assert refused(deps, EndHold("hold_1", "sf-2", "released", MORNING.now())).of(EndHold)
    deps.uow.add(EndHold("hold_1", "sf-1", "released", MORNING.now()))
    deps.uow.commit()
    assert refused(deps, EndHold("hold_1", "sf-1", "released", MORNING.now())).of(EndHold)
    assert (deps.uow.holds.get("hold_1") or {})["status"] == "released"


def test_a_recomputed_level_is_refused_when_a_reservation_landed_since_it_was_read(deps: Deps) -> None:
    deps.uow.add(Reservation("A", "mnl", 1))
    deps.uow.commit()
    stale = SetStockLevel(StockLevel(sku="A", location_id="mnl", on_hand=9, reserved=0), 0, {"reason": "set"}, "t", "x")
    assert refused(deps, stale).of(SetStockLevel) == [stale]
    deps.uow.add(SetStockLevel(StockLevel(sku="A", location_id="mnl", on_hand=9, reserved=1), 1, {}, "t", "x"))
    deps.uow.commit()
    assert level(deps, "A", "mnl") == (9, 1)


def test_a_partner_event_is_marked_applied_once(deps: Deps) -> None:
    deps.uow.add(MarkEventApplied("erp", "evt_1", "inventory.snapshot", "2026-03-02T01:00:00Z"))
    deps.uow.commit()
    assert deps.uow.applied_events.seen("erp", "evt_1")
    again = MarkEventApplied("erp", "evt_1", "inventory.snapshot", "2026-03-02T01:00:00Z")
    assert refused(deps, again).of(MarkEventApplied) == [again]


def test_an_open_balance_grows_only_within_its_limit_and_shrinks_unguarded(deps: Deps) -> None:
    deps.uow.add(OpenBalance("sf-1", "c-1", 600, limit=1000))
    deps.uow.commit()
    over = OpenBalance("sf-1", "c-1", 401, limit=1000)
    assert refused(deps, over).of(OpenBalance) == [over]
    alone_over = OpenBalance("sf-1", "c-2", 1001, limit=1000)  # a fresh account, an order over the limit
    assert refused(deps, alone_over).of(OpenBalance) == [alone_over]

    deps.uow.add(OpenBalance("sf-1", "c-1", 400, limit=1000))  # exactly to the limit
    deps.uow.commit()
    deps.uow.add(OpenBalance("sf-1", "c-1", -700))  # a payment or a void gives room back
    deps.uow.commit()

    assert deps.uow.credit.balance("sf-1", "c-1") == 300
    assert deps.uow.credit.balance("sf-1", "c-2") == 0
    assert deps.uow.credit.balance("sf-2", "c-1") == 0  # per storefront


def test_units_received_create_the_record_and_add_to_what_is_there(deps: Deps) -> None:
    deps.uow.add(ReceiveUnits("A", "mnl", 3, {"reason": "received", "delta": 3}, "test", "2026-03-02T01:00:00Z"))
    deps.uow.add(ReceiveUnits("NEW", "mnl", 2, {"reason": "received", "delta": 2}, "test", "2026-03-02T01:00:00Z"))
    deps.uow.commit()
    assert level(deps, "A", "mnl") == (8, 0) and level(deps, "NEW", "mnl") == (2, 0)
    deps.uow.add(Reservation("NEW", "mnl", 2))  # what arrived is available to promise
    deps.uow.commit()


def test_a_short_shipment_ships_what_was_sent_and_frees_the_rest(deps: Deps) -> None:
    deps.uow.add(Reservation("A", "mnl", 3))
    deps.uow.commit()
    too_much = ShipUnits("A", "mnl", 2, released=2)
    assert refused(deps, too_much).of(ShipUnits) == [too_much]
    deps.uow.add(ShipUnits("A", "mnl", 2, released=1))
    deps.uow.commit()
    assert level(deps, "A", "mnl") == (3, 0)
    deps.uow.add(Reservation("A", "mnl", 3))  # the unsent unit is available again
    deps.uow.commit()


def an_inbound(at: str = "2026-03-02T01:00:00Z") -> Inbound:
    return Inbound(
        inbound_id="po-1",
        location_id="mnl",
        expected_at="2026-03-05T00:00:00Z",
        lines=[InboundLine(sku="A", quantity=4)],
        created_at=at,
        updated_at=at,
    )


def test_supply_documents_are_saved_by_version_and_incoming_follows_the_inbound(deps: Deps) -> None:
    at = "2026-03-02T01:00:00Z"
    inbound = an_inbound(at)
    deps.uow.add(SaveInbound(inbound, 0))
    deps.uow.commit()
    assert refused(deps, SaveInbound(inbound, 0)).of(SaveInbound)  # exists already
    stored = deps.uow.supply.inbound("po-1")
    assert stored is not None and stored.version == 1
    assert [(i.sku, i.location_id, i.quantity) for i in deps.uow.supply.incoming(["A", "B"])] == [("A", "mnl", 4)]
    stored.lines[0].received, stored.status = 4, "received"
    deps.uow.add(SaveInbound(stored, 1))
    deps.uow.commit()
    assert deps.uow.supply.incoming(["A"]) == []

    transfer = Transfer(
        transfer_id="trf-1",
        from_location_id="mnl",
        to_location_id="ceb",
        lines=[TransferLine(sku="A", quantity=1)],
        created_at=at,
        updated_at=at,
    )
    deps.uow.add(SaveTransfer(transfer, 0))
    deps.uow.commit()
    assert refused(deps, SaveTransfer(transfer, 0)).of(SaveTransfer)
    assert deps.uow.supply.transfer("trf-1") == transfer.model_copy(update={"version": 1})


def test_health_records_are_saved_by_version_and_read_one_by_one_or_in_a_batch(deps: Deps) -> None:
    record = Record(sku="A", location_id="mnl", sold={"2026-03-02": 3}, status="ok")
    deps.uow.add(SaveHealth(record, 0))
    deps.uow.commit()
    assert refused(deps, SaveHealth(record, 0)).of(SaveHealth)
    stored = deps.uow.health.get("A", "mnl")
    assert stored is not None and (stored.version, stored.sold, stored.status) == (1, {"2026-03-02": 3}, "ok")
    assert set(deps.uow.health.many([("A", "mnl"), ("A", "ceb")])) == {("A", "mnl")}
    assert [r.location_id for r in deps.uow.health.of_sku("A")] == ["mnl"]


def test_backorder_promises_are_guarded_by_the_lot_and_served_or_dropped_once(deps: Deps) -> None:
    at = "2026-03-02T01:00:00Z"
    deps.uow.add(SaveInbound(an_inbound(at), 0))
    deps.uow.commit()

    def promise(order_id: str, quantity: int) -> Promised:
        return Promised("A", "mnl", "po-1", order_id, "1", quantity, at)

    deps.uow.add(PromiseUnits(promise("o-1", 3)))
    deps.uow.commit()
    assert refused(deps, PromiseUnits(promise("o-2", 2))).of(PromiseUnits)  # one unit left unpromised
    stale = deps.uow.supply.inbound("po-1")
    assert stale is not None
    assert refused(deps, SaveInbound(stale, 1)).of(SaveInbound)  # saved as if nothing were promised
    lots = deps.uow.supply.lots(stale)
    assert (lots["A"].quantity, lots["A"].promised, lots["A"].unpromised) == (4, 3, 1)

    # A receipt of three serves the promise: the lot keeps one expected, the stock reserves the three.
    stale.lines[0].received, stale.status = 3, "partially_received"
    settled = {"A": Lot("A", "mnl", "po-1", stale.expected_at, 1, 0, 0)}
    deps.uow.add(
        SaveInbound(stale, 1, lots, settled),
        ServePromise(promise("o-1", 3)),
        ReceiveUnits("A", "mnl", 3, {"reason": "received", "delta": 3}, "test", at, reserve=3),
    )
    deps.uow.commit()
    assert level(deps, "A", "mnl") == (8, 3)
    assert [p.served for p in deps.uow.supply.promises(lots["A"])] == [True]
    assert refused(deps, ServePromise(promise("o-1", 3))).of(ServePromise)  # served once
    assert refused(deps, DropPromise(promise("o-1", 3))).of(DropPromise)  # not as an unserved one
    deps.uow.add(DropPromise(replace(promise("o-1", 3), served=True)))
    deps.uow.commit()
    assert deps.uow.supply.promises(lots["A"]) == []

    # An unserved promise dropped gives its units back to the lot.
    deps.uow.add(PromiseUnits(promise("o-3", 1)))
    deps.uow.commit()
    deps.uow.add(DropPromise(promise("o-3", 1)))
    deps.uow.commit()
    current = deps.uow.supply.inbound("po-1")
    assert current is not None
    assert [(lot.quantity, lot.promised) for lot in deps.uow.supply.incoming(["A"])] == [(1, 0)]


def test_returns_are_saved_by_version_beside_their_order_and_damaged_units_are_kept_apart(deps: Deps) -> None:
    at = "2026-03-02T01:00:00Z"
    ret = Return(
        return_id=return_id_for("ord_abc", 1),
        order_id="ord_abc",
        storefront_id="sf-1",
        lines=[ReturnLine(sku="A", quantity=1, reason="too small")],
        created_at=at,
        updated_at=at,
    )
    deps.uow.add(SaveReturn(ret, 0))
    deps.uow.commit()
    assert refused(deps, SaveReturn(ret, 0)).of(SaveReturn)  # exists already
    stored = deps.uow.returns.get(ret.return_id)
    assert stored is not None and stored.version == 1 and stored.order_id == "ord_abc"
    assert [r.return_id for r in deps.uow.returns.of_order("ord_abc")] == [ret.return_id]
    assert [r.return_id for r in deps.uow.returns.attention()] == [ret.return_id]  # requested: a decision is due
    stored.status = "approved"
    deps.uow.add(SaveReturn(stored, 1))
    deps.uow.commit()
    assert deps.uow.returns.attention() == [] and deps.uow.returns.get("ret_nothing_1") is None

    audit = {"reason": "returned", "quarantined": 1}
    deps.uow.add(
        ReceiveUnits("A", "mnl", 1, audit, "test", at, quarantine=1),  # one resellable, one damaged
        ReceiveUnits("NEW", "mnl", 0, audit, "test", at, quarantine=2),
    )
    deps.uow.commit()
    found = deps.uow.stock.level("A", "mnl")
    assert found is not None and (found.on_hand, found.quarantined, found.available) == (6, 1, 6)
    fresh = deps.uow.stock.level("NEW", "mnl")
    assert fresh is not None and (fresh.on_hand, fresh.quarantined) == (0, 2)


def test_a_hot_skus_buckets_lend_units_sell_them_alone_and_give_them_back(deps: Deps) -> None:
    deps.uow.add(MoveToBuckets("A", "mnl", {0: 2, 1: 2, 2: 1}, 3))
    deps.uow.commit()
    seen = deps.uow.stock.levels(["A"], ["mnl"])[("A", "mnl")]
    assert (seen.reserved, seen.available, seen.buckets) == (0, 5, {0: 2, 1: 2, 2: 1})
    assert level(deps, "A", "mnl") == (5, 5)  # the record counts what it lent as reserved

    # A sale draws from one bucket; more than it has is refused by name, even with units elsewhere.
    refusal = refused(deps, Reservation("A", "mnl", 2, bucket=2))
    assert refusal.refused == (Reservation("A", "mnl", 2, bucket=2),)
    deps.uow.add(Reservation("A", "mnl", 2, bucket=0), Reservation("A", "mnl", 1, bucket=1))
    deps.uow.commit()
    seen = deps.uow.stock.levels(["A"], ["mnl"])[("A", "mnl")]
    assert (seen.reserved, seen.available, seen.buckets) == (3, 2, {0: 0, 1: 1, 2: 1})

    # Taking back more than a bucket holds is refused; a merge returns exactly what is left.
    assert refused(deps, MoveToBuckets("A", "mnl", {0: -1}, 3)).refused == (MoveToBuckets("A", "mnl", {0: -1}, 3),)
    deps.uow.add(MoveToBuckets("A", "mnl", {1: -1, 2: -1}, 0))
    deps.uow.commit()
    seen = deps.uow.stock.levels(["A"], ["mnl"])[("A", "mnl")]
    assert (seen.reserved, seen.available, seen.buckets) == (3, 2, {})
    assert level(deps, "A", "mnl") == (5, 3)  # the sold units are the shipments' reservations now


def test_a_sale_with_an_end_is_listed_once_its_end_has_come_until_it_is_merged(deps: Deps) -> None:
    deps.uow.add(MoveToBuckets("A", "mnl", {0: 3, 1: 2}, 2, until="2026-03-02T12:00:00Z"))
    deps.uow.add(MoveToBuckets("C", "mnl", {0: 5}, 1))  # no end: an operator merges it
    deps.uow.commit()
    assert deps.uow.stock.sales_ended("2026-03-02T11:59:59Z") == []
    assert deps.uow.stock.sales_ended("2026-03-02T12:00:00Z") == [("A", "mnl")]

    deps.uow.add(MoveToBuckets("A", "mnl", {0: -3, 1: -2}, 0))
    deps.uow.commit()
    assert deps.uow.stock.sales_ended("2026-03-03T00:00:00Z") == []


def test_what_channels_were_told_lands_whole_as_a_batch_of_plain_writes(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.store import unit_of_work as dynamo_uow

    batches: list[int] = []
    original = dynamo_uow.put_batch
    monkeypatch.setattr(dynamo_uow, "put_batch", lambda items: (batches.append(len(items)), original(items))[1])
    told = [Told(channel_id="ch-1", sku=f"SKU-{n:02d}", quantity=n, told_at="2026-03-02T01:00:00Z") for n in range(60)]
    deps.uow.add(*(SaveTold(t) for t in told))
    deps.uow.commit()

    assert deps.uow.channels.told("ch-1") == {t.sku: t for t in told}
    if isinstance(deps.uow, dynamo_uow.DynamoUnitOfWork):
        assert batches == [60]  # one batch of independent records (BatchWriteItem, 25 a call), no transaction
