"""A hot sku spread over buckets for a sale: checkouts draw from the buckets, everything else works on
the record as always, and a merge leaves the record as if there had been no buckets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oms import bootstrap
from oms.domain import lifecycle
from oms.domain.errors import InsufficientStock, NotFound, Unprocessable
from oms.services.checkout import place_order
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.reroute import reroute
from oms.services.stock_buckets import end_sales, set_buckets
from oms.services.supply import create_transfer
from oms.store.memory import MemoryStore
from tests.network import body


def buy(deps: Deps, key: str, units: int = 1) -> tuple[str, str]:
    order = place_order(deps, body({"A": units}), "sf-1", key).order
    return order.order_id, order.shipments[0].location_id


def live_units(deps: Deps, order_ids: list[str], location_id: str) -> int:
    return sum(
        line.quantity
        for order_id in order_ids
        if (order := deps.uow.orders.get(order_id)) is not None
        for shipment in lifecycle.live(order)
        if shipment.location_id == location_id
        for line in shipment.lines
    )


def test_a_sale_sells_the_buckets_exactly_and_a_merge_leaves_the_record_counting_only_shipments(
    deps: Deps, store: MemoryStore
) -> None:
    spread = set_buckets(deps, "A", "mnl", 4)
    assert (spread.available, spread.reserved, sorted(spread.buckets.values())) == (5, 0, [1, 1, 1, 2])
    record = store.stock[("A", "mnl")]
    assert (record.reserved, record.available) == (5, 0)  # lent to the buckets

    sold = [buy(deps, f"k{i}") for i in range(5)]
    assert {loc for _, loc in sold} == {"mnl"}  # Makati's nearest, from its buckets
    assert sum(store.bucket_units[("A", "mnl", k)] for k in range(4)) == 0
    assert record.reserved == 5  # no write to the record: the buckets' units were reserved there already
    assert buy(deps, "k5")[1] == "ceb"  # mnl is sold out: the next one ships from Cebu's record

    close(deps, sold[0][0], "cancelled", "by the storefront")
    after = deps.uow.stock.levels(["A"], ["mnl"])[("A", "mnl")]
    assert (after.available, after.reserved) == (1, 4)  # the unit came back to the record, for sale
    from_record, at = buy(deps, "k6")
    assert at == "mnl"  # sold from the record itself, beside its empty buckets

    merged = set_buckets(deps, "A", "mnl", 0)
    assert (merged.buckets, merged.available, merged.reserved) == ({}, 0, 5)
    # As if there had been no buckets: reserved on the record = the units of mnl's live shipments.
    assert record.reserved == live_units(deps, [order_id for order_id, _ in sold] + [from_record], "mnl") == 5


def test_spreading_again_spreads_what_came_back_and_a_missing_record_is_not_found(
    deps: Deps, store: MemoryStore
) -> None:
    set_buckets(deps, "A", "mnl", 2)
    order_id, _ = buy(deps, "k1", units=2)
    close(deps, order_id, "cancelled", "by the storefront")
    again = set_buckets(deps, "A", "mnl", 2)
    assert (again.available, again.reserved, sum(again.buckets.values())) == (5, 0, 5)
    assert store.stock[("A", "mnl")].available == 0
    with pytest.raises(NotFound) as missing:
        set_buckets(deps, "B", "mnl", 2)
    assert missing.value.code == "stock_not_found"


def test_a_shipment_rerouted_to_a_bucketed_location_takes_its_units_from_the_buckets(
    deps: Deps, store: MemoryStore
) -> None:
    set_buckets(deps, "A", "ceb", 2)
    order_id, at = buy(deps, "k1", units=2)
    assert at == "mnl"
    shipment_id = deps.uow.orders.get(order_id).shipments[0].shipment_id  # type: ignore[union-attr]

    assert reroute(deps, order_id, shipment_id, "mnl", "out of stock on the shelf", "r1") == "rerouted to ceb"
    assert sum(store.bucket_units[("A", "ceb", k)] for k in range(2)) == 3
    assert (store.stock[("A", "ceb")].reserved, store.stock[("A", "mnl")].reserved) == (5, 0)
    moved = deps.uow.stock.levels(["A"], ["ceb"])[("A", "ceb")]
    assert (moved.reserved, moved.available) == (2, 3)


def test_a_transfer_out_of_a_bucketed_location_takes_its_units_from_the_buckets(deps: Deps, store: MemoryStore) -> None:
    set_buckets(deps, "A", "mnl", 2)  # 3 and 2
    transfer = create_transfer(deps, "mnl", "ceb", {"A": 4}, "rebalance")
    assert sum(store.bucket_units[("A", "mnl", k)] for k in range(2)) == 1
    level = deps.uow.stock.levels(["A"], ["mnl"])[("A", "mnl")]
    assert (level.reserved, level.available) == (4, 1)  # the transfer's units, reserved on the record

    with pytest.raises(InsufficientStock) as short:
        create_transfer(deps, "mnl", "ceb", {"A": 2}, "again")
    assert short.value.extra["lines"] == [{"sku": "A", "requested": 2, "available": 1}]
    assert list(store.transfers) == [transfer.transfer_id]


def test_a_sale_with_an_end_is_merged_back_by_the_sweeper_once_it_has_ended(deps: Deps, store: MemoryStore) -> None:
    later = (deps.clock.now() + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    set_buckets(deps, "A", "mnl", 4, until=later)
    set_buckets(deps, "A", "ceb", 2)  # no end: stays spread
    buy(deps, "k1")
    assert end_sales(deps) == []

    sweeper = bootstrap.in_memory(store, deps.clock.now() + timedelta(hours=2))
    assert end_sales(sweeper) == ["A@mnl"]
    assert end_sales(sweeper) == []  # once
    merged = deps.uow.stock.levels(["A"], ["mnl", "ceb"])
    assert (merged[("A", "mnl")].buckets, merged[("A", "mnl")].reserved, merged[("A", "mnl")].available) == ({}, 1, 4)
    assert store.stock[("A", "mnl")].reserved == 1  # the sold unit's, nothing lent
    assert sum(merged[("A", "ceb")].buckets.values()) == 5


def test_a_sale_end_must_be_later_than_now_and_belongs_to_a_spread(deps: Deps, store: MemoryStore) -> None:
    earlier = (deps.clock.now() - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    for count, until in ((4, earlier), (0, "2099-01-01T00:00:00Z")):
        with pytest.raises(Unprocessable) as refused:
            set_buckets(deps, "A", "mnl", count, until=until)
        assert refused.value.code == "invalid_sale_end"
    assert store.commits == 0
