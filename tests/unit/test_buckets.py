"""A hot sku's buckets: where a reservation draws from, how a spread moves units, and that units are
only ever moved, never made or lost (oms.domain.buckets)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oms.domain import buckets
from oms.domain.errors import Unprocessable
from oms.domain.models import StockLevel


def record(on_hand: int, reserved: int = 0, safety: int = 0) -> StockLevel:
    return StockLevel(sku="A", location_id="mnl", on_hand=on_hand, reserved=reserved, safety_stock=safety)


def test_readers_see_the_bucketed_units_as_available_and_only_the_shipments_as_reserved() -> None:
    # 10 on hand: 2 reserved for shipments, 6 lent to three buckets (reserved on the record), 2 left there.
    seen = buckets.merged(record(10, reserved=8), {0: 3, 1: 2, 2: 1})
    assert (seen.reserved, seen.available, buckets.record_available(seen)) == (2, 8, 2)
    assert buckets.merged(record(10, reserved=2), {}) == record(10, reserved=2)


def test_a_reservation_takes_one_bucket_that_has_it_all_picked_at_random() -> None:
    seen = buckets.merged(record(20, reserved=20), {0: 5, 1: 1, 2: 5, 3: 9})
    picked = {buckets.draw(seen, 4, random.Random(seed))[0] for seed in range(40)}
    assert picked == {(0, 4), (2, 4), (3, 4)}  # never bucket 1, which has 1


def test_a_big_reservation_near_sell_out_takes_the_fullest_buckets_then_the_record() -> None:
    seen = buckets.merged(record(10, reserved=6), {0: 1, 1: 3, 2: 2})  # and 4 on the record itself
    assert buckets.draw(seen, 8) == [(1, 3), (2, 2), (0, 1), (None, 2)]


def test_a_spread_empties_the_record_into_even_buckets_and_a_count_of_zero_merges_them_back() -> None:
    moves = buckets.spread(record(11, reserved=1), {}, 4)
    assert moves == {0: 3, 1: 3, 2: 2, 3: 2}
    # Later: the buckets sold unevenly and 3 units came back to the record (a cancel): evened again.
    moves = buckets.spread(record(11, reserved=8), {0: 0, 1: 3, 2: 1, 3: 0}, 4)
    assert sum(moves.values()) == 3 and {k: v + {0: 0, 1: 3, 2: 1, 3: 0}[k] for k, v in moves.items()} == {
        0: 2,
        1: 2,
        2: 2,
        3: 1,
    }
    assert buckets.spread(record(11, reserved=8), {0: 0, 1: 3, 2: 1, 3: 0}, 0) == {1: -3, 2: -1}
    # Fewer buckets: the one kept takes every unit, the record's 3 and the dropped bucket's 3.
    assert buckets.spread(record(11, reserved=8), {0: 2, 1: 3}, 1) == {0: 6, 1: -3}


def test_the_bucket_count_is_bounded_by_one_transaction() -> None:
    with pytest.raises(Unprocessable) as refused:
        buckets.spread(record(1), {}, buckets.MAX_BUCKETS + 1)
    assert refused.value.code == "invalid_buckets"


@given(
    st.integers(0, 60),
    st.lists(st.tuples(st.sampled_from(["sell", "spread", "cancel"]), st.integers(1, 9)), max_size=30),
)
def test_units_are_only_moved_never_made_or_oversold(on_hand: int, steps: list[tuple[str, int]]) -> None:
    stored, units, shipped = record(on_hand), {}, 0  # the record as stored, its buckets, units sold
    for action, n in steps:
        seen = buckets.merged(stored, units)
        if action == "spread":
            moves = buckets.spread(stored, units, n % 5)
            stored = stored.model_copy(update={"reserved": stored.reserved + sum(moves.values())})
            units = {k: units.get(k, 0) + moves.get(k, 0) for k in set(units) | set(moves)}
        elif action == "sell" and seen.available >= n:
            for k, q in buckets.draw(seen, n):
                if k is None:
                    stored = stored.model_copy(update={"reserved": stored.reserved + q})
                else:
                    units[k] -= q
            shipped += n
        elif action == "cancel" and shipped >= n:  # units of a shipment come back to the record
            stored = stored.model_copy(update={"reserved": stored.reserved - n})
            shipped -= n
        assert min(units.values(), default=0) >= 0 and stored.on_hand - stored.reserved >= 0
        seen = buckets.merged(stored, units)
        assert seen.reserved == shipped  # reserved = the live shipments' units
        assert seen.available == on_hand - shipped  # every other unit is for sale, once
