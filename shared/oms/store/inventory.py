"""Stock per (sku, location) in DynamoDB. Every change is one conditional update: nothing is sold twice.

Each stock item keeps `available` (on_hand - reserved - safety_stock) beside its parts, updated in the
same expression, because DynamoDB conditions cannot do arithmetic: a reservation is then simply
`available >= qty`, atomic on the server, with no read-then-write window.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from oms import aws
from oms.clock import Clock, rfc3339
from oms.clock import clock as default_clock
from oms.domain.errors import Conflict
from oms.domain.models import StockLevel
from oms.settings import settings
from oms.store import Item, from_item, to_item
from oms.store.dynamo import TransactionRefused, Write, batch_get, transact

STOCK = "LOC#"
AUDIT = "ADJ#"
_OPTIMISTIC_ATTEMPTS = 5


def _table() -> str:
    return settings().inventory_table


def _key(sku: str, location_id: str) -> Item:
    return to_item({"sku": sku, "sk": f"{STOCK}{location_id}"})


def _level(data: dict[str, Any]) -> StockLevel:
    return StockLevel(
        sku=data["sku"],
        location_id=data["location_id"],
        on_hand=int(data.get("on_hand", 0)),
        reserved=int(data.get("reserved", 0)),
        safety_stock=int(data.get("safety_stock", 0)),
    )


def get_levels(skus: Iterable[str], location_ids: Iterable[str]) -> dict[tuple[str, str], StockLevel]:
    """The stock records of every (sku, location) pair that has one."""
    skus, location_ids = sorted(set(skus)), sorted(set(location_ids))
    pairs = [(sku, loc) for sku in skus for loc in location_ids]
    if len(pairs) > len(skus) * 2 and len(pairs) > 100:
        # Many locations: one Query per sku reads less than thousands of keys in batches.
        return {(lv.sku, lv.location_id): lv for sku in skus for lv in levels_of(sku)}
    items = batch_get(_table(), [_key(sku, loc) for sku, loc in pairs])
    return {(lv.sku, lv.location_id): lv for lv in (_level(from_item(i)) for i in items)}


def levels_of(sku: str) -> list[StockLevel]:
    """Every location's stock of one sku (consistent read: admins act on what they see)."""
    client = aws.dynamodb()
    args: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "sku = :sku AND begins_with(sk, :stock)",
        "ExpressionAttributeValues": to_item({":sku": sku, ":stock": STOCK}),
        "ConsistentRead": True,
    }
    levels = []
    while True:
        page = client.query(**args)
        levels += [_level(from_item(item)) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return levels
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def change_reservation(sku: str, location_id: str, delta: int, label: str | None = None) -> Write:
    """Reserve (delta > 0, only if that many are available) or release (delta < 0) units, in a transaction."""
    if delta > 0:
        update = "SET reserved = reserved + :q, available = available - :q, updated_at = :now"
        condition = "available >= :q"
        qty = delta
    else:
        update = "SET reserved = reserved - :q, available = available + :q, updated_at = :now"
        condition = "reserved >= :q"
        qty = -delta
    return Write(
        label or f"stock:{sku}@{location_id}",
        {
            "Update": {
                "TableName": _table(),
                "Key": _key(sku, location_id),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item({":q": qty, ":now": rfc3339(default_clock.now())}),
            }
        },
    )


def ship_units(sku: str, location_id: str, qty: int) -> Write:
    """Reserved units leave the building: on_hand and reserved fall together, available is unchanged."""
    return Write(
        f"ship:{sku}@{location_id}",
        {
            "Update": {
                "TableName": _table(),
                "Key": _key(sku, location_id),
                "UpdateExpression": "SET on_hand = on_hand - :q, reserved = reserved - :q, updated_at = :now",
                "ConditionExpression": "reserved >= :q",
                "ExpressionAttributeValues": to_item({":q": qty, ":now": rfc3339(default_clock.now())}),
            }
        },
    )


def _audit(sku: str, location_id: str, change: dict[str, Any], actor: str, at: str) -> Write:
    item = {
        "sku": sku,
        "sk": f"{AUDIT}{location_id}#{at}#{uuid.uuid4().hex[:8]}",
        "location_id": location_id,
        "at": at,
        "actor": actor,
        **change,
    }
    return Write("audit", {"Put": {"TableName": _table(), "Item": to_item(item)}})


def _rewrite(
    sku: str,
    location_id: str,
    make: Callable[[StockLevel], tuple[StockLevel, dict[str, Any]]],
    actor: str,
    clock: Clock,
    extra: Sequence[Write] = (),
) -> StockLevel:
    """Read, compute the new level with the domain rule `make`, write it if nobody changed it meanwhile."""
    client = aws.dynamodb()
    for _ in range(_OPTIMISTIC_ATTEMPTS):
        found = client.get_item(TableName=_table(), Key=_key(sku, location_id), ConsistentRead=True).get("Item")
        current = _level(from_item(found)) if found else StockLevel(sku=sku, location_id=location_id)
        new, change = make(current)
        at = rfc3339(clock.now())
        values = {
            ":on_hand": new.on_hand,
            ":safety": new.safety_stock,
            ":available": new.on_hand - new.reserved - new.safety_stock,
            ":now": at,
            ":loc": location_id,
            ":reserved": current.reserved,
        }
        write = Write(
            "stock",
            {
                "Update": {
                    "TableName": _table(),
                    "Key": _key(sku, location_id),
                    "UpdateExpression": "SET on_hand = :on_hand, safety_stock = :safety, available = :available, "
                    "reserved = :reserved, location_id = :loc, updated_at = :now",
                    # Reservations move `reserved` without a read; if one landed since ours, compute again.
                    "ConditionExpression": "attribute_not_exists(sku) OR reserved = :reserved"
                    if not found
                    else "reserved = :reserved",
                    "ExpressionAttributeValues": to_item(values),
                }
            },
        )
        try:
            transact([write, _audit(sku, location_id, {**change, "on_hand_after": new.on_hand}, actor, at), *extra])
        except TransactionRefused as refused:
            if refused.failed - {"stock"}:
                raise  # a condition of the caller's own writes failed (a duplicate event): not ours to retry
            continue
        return new
    raise Conflict(f"stock of {sku} at {location_id} is changing too fast; try again", code="stock_busy")


def set_stock(
    sku: str,
    location_id: str,
    on_hand: int,
    safety_stock: int,
    actor: str,
    clock: Clock = default_clock,
    extra: Sequence[Write] = (),
) -> StockLevel:
    from oms.domain import inventory

    def make(current: StockLevel) -> tuple[StockLevel, dict[str, Any]]:
        new = inventory.set_on_hand(current, on_hand, safety_stock)
        return new, {"reason": "set", "delta": new.on_hand - current.on_hand, "safety_stock": safety_stock}

    return _rewrite(sku, location_id, make, actor, clock, extra)


def adjust_stock(
    sku: str,
    location_id: str,
    delta: int,
    reason: str,
    actor: str,
    clock: Clock = default_clock,
    extra: Sequence[Write] = (),
) -> StockLevel:
    from oms.domain import inventory

    def make(current: StockLevel) -> tuple[StockLevel, dict[str, Any]]:
        return inventory.adjust(current, delta), {"reason": reason, "delta": delta}

    return _rewrite(sku, location_id, make, actor, clock, extra)


def audit_trail(sku: str, location_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The latest adjustments of one (sku, location), newest first."""
    page = aws.dynamodb().query(
        TableName=_table(),
        KeyConditionExpression="sku = :sku AND begins_with(sk, :prefix)",
        ExpressionAttributeValues=to_item({":sku": sku, ":prefix": f"{AUDIT}{location_id}#"}),
        ScanIndexForward=False,
        Limit=limit,
    )
    return [{k: v for k, v in from_item(item).items() if k not in ("sku", "sk")} for item in page["Items"]]


CAPACITY = "CAPACITY#"


def count_shipment(location_id: str, day: str, limit: int) -> Write:
    """One more shipment for a location today, only while it has capacity left (its `capacity_per_day`).

    The condition is the whole check: the checkout plans without reading the counters and learns that
    a location is full when this write is refused, so capacity costs no extra round trip.
    """
    return Write(
        f"capacity:{location_id}",
        {
            "Update": {
                "TableName": _table(),
                "Key": to_item({"sku": f"{CAPACITY}{location_id}", "sk": f"DAY#{day}"}),
                "UpdateExpression": "ADD shipments :one SET location_id = :loc",
                "ConditionExpression": "attribute_not_exists(shipments) OR shipments < :limit",
                "ExpressionAttributeValues": to_item({":one": 1, ":limit": limit, ":loc": location_id}),
            }
        },
    )
