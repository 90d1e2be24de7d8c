"""The reservation model: promise, release, ship, count; and the units always add up."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oms.domain.errors import Conflict, InsufficientStock, OmsError, Unprocessable
from oms.domain.inventory import adjust, availability, can_reserve, release, reserve, set_on_hand, ship
from oms.domain.models import StockLevel


def level(on_hand: int = 10, reserved: int = 0, safety_stock: int = 0, location_id: str = "mnl") -> StockLevel:
    return StockLevel(
        sku="TSHIRT", location_id=location_id, on_hand=on_hand, reserved=reserved, safety_stock=safety_stock
    )


def test_reserve_promises_available_units() -> None:
    after = reserve(level(on_hand=10, reserved=2), 3)
    assert (after.on_hand, after.reserved, after.available) == (10, 5, 5)


def test_reserve_returns_a_new_level_and_leaves_the_old_one_alone() -> None:
    before = level(on_hand=10)
    after = reserve(before, 4)
    assert before.reserved == 0
    assert after is not before


def test_reserve_beyond_available_is_refused_with_the_figures() -> None:
    with pytest.raises(InsufficientStock) as caught:
        reserve(level(on_hand=5, reserved=3), 3)
    error = caught.value
    assert (error.status, error.code) == (409, "insufficient_stock")
    assert error.extra == {"sku": "TSHIRT", "location_id": "mnl", "requested": 3, "available": 2}


def test_the_last_unit_can_be_reserved_exactly_once() -> None:
    once = reserve(level(on_hand=1), 1)
    assert once.available == 0
    with pytest.raises(InsufficientStock):
        reserve(once, 1)


def test_safety_stock_is_never_promised() -> None:
    guarded = level(on_hand=10, safety_stock=4)
    assert can_reserve(guarded, 6)
    assert not can_reserve(guarded, 7)
    with pytest.raises(InsufficientStock):
        reserve(guarded, 7)


def test_release_gives_promised_units_back() -> None:
    assert release(level(on_hand=10, reserved=4), 3).reserved == 1


def test_release_of_more_than_is_reserved_is_refused() -> None:
    with pytest.raises(Conflict) as caught:
        release(level(on_hand=10, reserved=2), 3)
    assert caught.value.code == "release_exceeds_reserved"


def test_ship_takes_units_off_the_shelf_and_off_the_promise_together() -> None:
    after = ship(level(on_hand=10, reserved=4), 3)
    assert (after.on_hand, after.reserved, after.available) == (7, 1, 6)


def test_only_promised_units_ship() -> None:
    with pytest.raises(Conflict) as caught:
        ship(level(on_hand=10, reserved=2), 3)
    assert caught.value.code == "ship_exceeds_reserved"


def test_adjust_counts_found_and_lost_units() -> None:
    assert adjust(level(on_hand=10), 5).on_hand == 15
    assert adjust(level(on_hand=10), -10).on_hand == 0


def test_a_negative_adjustment_may_not_take_promised_units() -> None:
    with pytest.raises(Conflict) as caught:
        adjust(level(on_hand=10, reserved=8), -3)
    assert caught.value.code == "adjustment_below_reserved"
    assert adjust(level(on_hand=10, reserved=8), -2).on_hand == 8


def test_an_adjustment_may_eat_into_safety_stock() -> None:
    after = adjust(level(on_hand=10, reserved=5, safety_stock=4), -4)
    assert (after.on_hand, after.available) == (6, 0)


def test_set_on_hand_replaces_the_count_and_keeps_safety_stock_unless_given() -> None:
    assert set_on_hand(level(on_hand=10, safety_stock=2), 30).safety_stock == 2
    after = set_on_hand(level(on_hand=10, reserved=3), 30, 5)
    assert (after.on_hand, after.reserved, after.safety_stock, after.available) == (30, 3, 5, 22)


def test_set_on_hand_below_reserved_is_refused() -> None:
    with pytest.raises(Conflict) as caught:
        set_on_hand(level(on_hand=10, reserved=6), 5)
    assert caught.value.code == "on_hand_below_reserved"


@pytest.mark.parametrize(("on_hand", "safety_stock"), [(-1, 0), (5, -1)])
def test_set_on_hand_refuses_negative_counts(on_hand: int, safety_stock: int) -> None:
    with pytest.raises(Unprocessable) as caught:
        set_on_hand(level(), on_hand, safety_stock)
    assert caught.value.code == "invalid_quantity"


@pytest.mark.parametrize("operation", [reserve, release, ship])
@pytest.mark.parametrize("qty", [0, -1])
def test_quantities_must_be_positive(operation: object, qty: int) -> None:
    assert callable(operation)
    with pytest.raises(Unprocessable) as caught:
        operation(level(on_hand=10, reserved=5), qty)
    assert caught.value.code == "invalid_quantity"


def test_availability_adds_up_locations() -> None:
    levels = [
        level(on_hand=10, reserved=3, location_id="mnl"),
        level(on_hand=5, safety_stock=5, location_id="ceb"),
        level(on_hand=4, location_id="dvo"),
    ]
    assert availability(levels) == {
        "available": 11,
        "locations": [
            {"location_id": "mnl", "available": 7},
            {"location_id": "ceb", "available": 0},
            {"location_id": "dvo", "available": 4},
        ],
    }


def test_availability_of_a_sharded_location_is_the_sum_of_its_shards() -> None:
    shards = [level(on_hand=3), level(on_hand=4, reserved=1)]
    assert availability(shards) == {"available": 6, "locations": [{"location_id": "mnl", "available": 6}]}


def test_availability_of_nothing_is_zero() -> None:
    assert availability([]) == {"available": 0, "locations": []}


operations = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(1, 15)),
        st.tuples(st.just("release"), st.integers(1, 15)),
        st.tuples(st.just("ship"), st.integers(1, 15)),
        st.tuples(st.just("adjust"), st.integers(-20, 20)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    on_hand=st.integers(0, 30),
    reserved_share=st.integers(0, 30),
    safety_stock=st.integers(0, 10),
    steps=operations,
)
def test_any_interleaving_keeps_stock_consistent_and_conserves_units(
    on_hand: int, reserved_share: int, safety_stock: int, steps: list[tuple[str, int]]
) -> None:
    start = level(on_hand=on_hand, reserved=min(on_hand, reserved_share), safety_stock=safety_stock)
    current = start
    adjusted = shipped = reserved_in = released = 0
    apply = {"reserve": reserve, "release": release, "ship": ship, "adjust": adjust}
    for name, n in steps:
        try:
            nxt = apply[name](current, n)
        except OmsError:
            continue  # a refused operation changes nothing
        if name == "adjust":
            adjusted += n
        elif name == "ship":
            shipped += n
        elif name == "reserve":
            reserved_in += n
        else:
            released += n
        current = nxt
        assert 0 <= current.reserved <= current.on_hand
        assert current.safety_stock == start.safety_stock
    assert current.on_hand == start.on_hand + adjusted - shipped
    assert current.reserved == start.reserved + reserved_in - released - shipped
