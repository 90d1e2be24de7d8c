"""The reservation model of one (sku, location) of stock: every change returns a new StockLevel or says no.

Invariant kept by every operation here: ``0 <= reserved <= on_hand``. Reserved units are promised
to orders, so nothing but shipping them (or releasing the promise) may take them away. Safety stock
only narrows what can be *newly* reserved; an adjustment may leave on_hand inside the safety margin.

The DynamoDB store expresses the same rules as condition expressions (a reservation is one
conditional update, never read-then-write); these functions are the rules in plain Python, for the
API to explain a refusal and for tests to pin the behaviour down.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from oms.domain.errors import Conflict, InsufficientStock, Unprocessable
from oms.domain.models import StockLevel


class LocationAvailability(TypedDict):
    location_id: str
    available: int


class Availability(TypedDict):
    available: int
    locations: list[LocationAvailability]


def _positive(qty: int) -> None:
    if qty <= 0:
        raise Unprocessable(f"quantity must be positive, got {qty}", code="invalid_quantity")


def _not_negative(name: str, value: int) -> None:
    if value < 0:
        raise Unprocessable(f"{name} must not be negative, got {value}", code="invalid_quantity")


def can_reserve(level: StockLevel, qty: int) -> bool:
    """Whether `qty` more units may be promised from this level (safety stock is not promised)."""
    return qty > 0 and level.available >= qty


def reserve(level: StockLevel, qty: int) -> StockLevel:
    """Promise `qty` units to an order; refused when fewer than `qty` are available."""
    _positive(qty)
    if not can_reserve(level, qty):
        raise InsufficientStock(
            f"{level.sku} at {level.location_id}: {qty} requested, {level.available} available",
            sku=level.sku,
            location_id=level.location_id,
            requested=qty,
            available=level.available,
        )
    return level.model_copy(update={"reserved": level.reserved + qty})


def release(level: StockLevel, qty: int) -> StockLevel:
    """Give back `qty` promised units (a cancelled order, an expired hold, a re-routed shipment)."""
    _positive(qty)
    if qty > level.reserved:
        raise Conflict(
            f"{level.sku} at {level.location_id}: cannot release {qty}, only {level.reserved} reserved",
            code="release_exceeds_reserved",
            sku=level.sku,
            location_id=level.location_id,
            requested=qty,
            reserved=level.reserved,
        )
    return level.model_copy(update={"reserved": level.reserved - qty})


def ship(level: StockLevel, qty: int) -> StockLevel:
    """Units leave the building: on_hand and reserved drop together. Only promised units ship."""
    _positive(qty)
    if qty > level.reserved:
        raise Conflict(
            f"{level.sku} at {level.location_id}: cannot ship {qty}, only {level.reserved} reserved",
            code="ship_exceeds_reserved",
            sku=level.sku,
            location_id=level.location_id,
            requested=qty,
            reserved=level.reserved,
        )
    return level.model_copy(update={"on_hand": level.on_hand - qty, "reserved": level.reserved - qty})


def adjust(level: StockLevel, delta: int) -> StockLevel:
    """A relative count correction (damage, found stock, cycle count).

    A negative adjustment may not take on_hand below reserved: those units are promised, and
    breaking a promise is a re-route or a cancellation, not a stock count.
    """
    on_hand = level.on_hand + delta
    if on_hand < level.reserved:
        raise Conflict(
            f"{level.sku} at {level.location_id}: adjusting by {delta} would leave on_hand {on_hand}"
            f" below the {level.reserved} reserved units",
            code="adjustment_below_reserved",
            sku=level.sku,
            location_id=level.location_id,
            on_hand=level.on_hand,
            reserved=level.reserved,
            delta=delta,
        )
    return level.model_copy(update={"on_hand": on_hand})


def set_on_hand(level: StockLevel, on_hand: int, safety_stock: int | None = None) -> StockLevel:
    """An absolute count (admin PUT, ERP snapshot); safety stock is kept unless given.

    Same rule as `adjust`: the new count may not be below what is already promised.
    """
    _not_negative("on_hand", on_hand)
    safety = level.safety_stock if safety_stock is None else safety_stock
    _not_negative("safety_stock", safety)
    if on_hand < level.reserved:
        raise Conflict(
            f"{level.sku} at {level.location_id}: on_hand {on_hand} is below the {level.reserved} reserved units",
            code="on_hand_below_reserved",
            sku=level.sku,
            location_id=level.location_id,
            on_hand=on_hand,
            reserved=level.reserved,
        )
    return level.model_copy(update={"on_hand": on_hand, "safety_stock": safety})


def counted(level: StockLevel, on_hand: int, safety_stock: int | None = None) -> tuple[StockLevel, int]:
    """A count from the floor (an ERP snapshot): a fact, not a request, so it is never refused. A count
    below what is promised keeps the promised units on hand (orders keep their stock; nothing is
    oversold further, as nothing is available) and answers the shortage for a person to resolve."""
    shortage = max(0, level.reserved - on_hand)
    return set_on_hand(level, on_hand + shortage, safety_stock), shortage


def availability(levels: Iterable[StockLevel]) -> Availability:
    """What one sku can still be promised: the total and per location (first-seen order).

    Several levels for one location (a sharded hot sku) add up to that location's figure.
    """
    per_location: dict[str, int] = {}
    for level in levels:
        per_location[level.location_id] = per_location.get(level.location_id, 0) + level.available
    return {
        "available": sum(per_location.values()),
        "locations": [{"location_id": loc, "available": n} for loc, n in per_location.items()],
    }
