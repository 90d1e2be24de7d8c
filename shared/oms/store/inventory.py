"""Stock per (sku, location) in DynamoDB. Every change is one conditional update: nothing is sold twice.

Each stock item keeps `available` (on_hand - reserved - safety_stock) beside its parts, updated in the
same expression, because DynamoDB conditions cannot do arithmetic: a reservation is then simply
`available >= qty`, atomic on the server, with no read-then-write window.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from oms import aws
from oms.domain.buckets import merged
from oms.domain.models import StockLevel
from oms.settings import settings
from oms.store import Item, from_item, hot_stock, to_item
from oms.store.dynamo import BATCH_GET_LIMIT, batch_get, query_all

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

STOCK = "LOC#"
AUDIT = "ADJ#"
SALE = "SALE"  # partition of the sales with an end (a few items: spread for a flash sale, merged at `until`)
BUCKET = "BUCKET#"  # sort key prefix of a hot sku's bucket, partition key `<sku>#<location>#B<n>` (domain.buckets)


def stock_images(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A stream record of a stock level as its (new, old) images, plain; None for a removal, any other
    record (audit, supply, health), or an image of keys alone (moto emits one, before the full one, for an
    update that creates its item; DynamoDB never does: the next record carries the figures)."""
    stream = record.get("dynamodb") or {}
    new = from_item(stream.get("NewImage") or {})
    if record.get("eventName") == "REMOVE" or not str(new.get("sk", "")).startswith(STOCK) or "on_hand" not in new:
        return None
    return new, from_item(stream.get("OldImage") or {})


def bucket_sku(record: dict[str, Any]) -> str | None:
    """The sku of a stream record of a bucket whose units changed (a sale drew from it); None otherwise."""
    stream = record.get("dynamodb") or {}
    new, old = from_item(stream.get("NewImage") or {}), from_item(stream.get("OldImage") or {})
    if not str(new.get("sk", "")).startswith(BUCKET) or new.get("available") == old.get("available"):
        return None
    return str(new.get("of_sku") or "") or None


def _table() -> str:
    return settings().inventory_table


def _key(sku: str, location_id: str) -> Item:
    return to_item({"sku": sku, "sk": f"{STOCK}{location_id}"})


def _bucket_key(sku: str, location_id: str, bucket: int) -> Item:
    # A partition key of its own (no sku has a '#'): every bucket of every location lands apart from the
    # sku's records and from each other (the point of it).
    return to_item({"sku": f"{sku}#{location_id}#B{bucket}", "sk": f"{BUCKET}{location_id}"})


def _with_buckets(records: list[dict[str, Any]]) -> list[StockLevel]:
    """Stock records as readers see them: a bucketed record's buckets read (one more batch) and merged."""
    return _merged(records)[0]


def _merged(records: list[dict[str, Any]], recalled: frozenset[str] = frozenset()) -> tuple[list[StockLevel], set[str]]:
    """`_with_buckets`, and the `recalled` skus (records remembered: oms.store.hot_stock) whose buckets were
    written by another spread than the one the remembered record made (spread again, merged back)."""
    hot = {(r["sku"], r["location_id"]): r for r in records if int(r.get("buckets", 0) or 0) > 0}
    units: dict[tuple[str, str], dict[int, int]] = {pair: {} for pair in hot}
    stale: set[str] = set()
    if hot:
        keys = [_bucket_key(sku, loc, k) for (sku, loc), r in hot.items() for k in range(int(r["buckets"]))]
        for item in (from_item(i) for i in batch_get(_table(), keys)):
            pair = (item["of_sku"], item["location_id"])
            units[pair][int(item["bucket_no"])] = int(item.get("available", 0))
            if item.get("spread_at") != hot[pair].get("spread_at"):
                stale.add(pair[0])
        stale |= {sku for (sku, loc), r in hot.items() if len(units[(sku, loc)]) < int(r["buckets"])}
    levels = [merged(_level(r), units.get((r["sku"], r["location_id"]), {})) for r in records]
    return levels, stale & recalled


def _level(data: dict[str, Any]) -> StockLevel:
    return StockLevel(
        sku=data["sku"],
        location_id=data["location_id"],
        on_hand=int(data.get("on_hand", 0)),
        reserved=int(data.get("reserved", 0)),
        safety_stock=int(data.get("safety_stock", 0)),
        quarantined=int(data.get("quarantined", 0)),
    )


def get_levels(
    skus: Iterable[str], location_ids: Iterable[str], remembered: bool = False
) -> dict[tuple[str, str], StockLevel]:
    """The stock records of every (sku, location) pair that has one. `remembered`: a sku on sale as this
    process read its records in the last second, its buckets now (oms.store.hot_stock): what a checkout's
    attempts plan from; a reader that tells others (channels, availability) reads afresh."""
    skus, location_ids = sorted(set(skus)), sorted(set(location_ids))
    recalled, rest = hot_stock.recall(skus, location_ids) if remembered else ([], skus)
    read = _records(rest, location_ids)
    hot_stock.remember(read, rest, location_ids)
    levels, stale = _merged(recalled + read, frozenset(r["sku"] for r in recalled))
    if stale:  # remembered from before a spread or a merge: those skus' records read afresh
        hot_stock.forget(stale)
        again = _records(sorted(stale), location_ids)
        hot_stock.remember(again, stale, location_ids)
        levels = [lv for lv in levels if lv.sku not in stale] + _with_buckets(again)
    return {(lv.sku, lv.location_id): lv for lv in levels}


def _records(skus: list[str], location_ids: list[str]) -> list[dict[str, Any]]:
    """The stock records, as stored, of every (sku, location) pair that has one."""
    pairs = [(sku, loc) for sku in skus for loc in location_ids]
    if not pairs:
        return []
    if len(skus) < -(-len(pairs) // BATCH_GET_LIMIT):
        # Fewer calls as one Query per sku (many locations) than as batches of keys (many skus).
        asked = set(location_ids)
        return [r for sku in skus for r in _records_of(sku) if r["location_id"] in asked]
    return [from_item(i) for i in batch_get(_table(), [_key(sku, loc) for sku, loc in pairs])]


def levels_of(sku: str) -> list[StockLevel]:
    """Every location's stock of one sku (consistent read: admins act on what they see)."""
    return _with_buckets(_records_of(sku))


def _records_of(sku: str) -> list[dict[str, Any]]:
    return query_all(
        TableName=_table(),
        KeyConditionExpression="sku = :sku AND begins_with(sk, :stock)",
        ExpressionAttributeValues=to_item({":sku": sku, ":stock": STOCK}),
        ConsistentRead=True,
    )


def change_reservation(
    sku: str, location_id: str, delta: int, at: str, bucket: int | None = None
) -> TransactWriteItemTypeDef:
    """Reserve (delta > 0, only if that many are available) or release (delta < 0) units; `bucket`:
    reserve from that bucket of a hot sku (its units are reserved on the record already)."""
    if bucket is not None:
        if delta <= 0:
            raise ValueError("units go back to the stock record, never to a bucket")
        return {
            "Update": {
                "TableName": _table(),
                "Key": _bucket_key(sku, location_id, bucket),
                "UpdateExpression": "SET available = available - :q, updated_at = :now",
                "ConditionExpression": "available >= :q",
                "ExpressionAttributeValues": to_item({":q": delta, ":now": at}),
            }
        }
    if delta > 0:
        update = "SET reserved = reserved + :q, available = available - :q, updated_at = :now"
        condition = "available >= :q"
    else:
        update = "SET reserved = reserved - :q, available = available + :q, updated_at = :now"
        condition = "reserved >= :q"
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(sku, location_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_item({":q": abs(delta), ":now": at}),
        }
    }


def ship_units(
    sku: str, location_id: str, qty: int, at: str, released: int = 0, purpose: str = "sale"
) -> TransactWriteItemTypeDef:
    """Reserved units leave the building: on_hand and reserved fall together, available is unchanged;
    `released` reserved units that were not sent go back to available in the same update. `last_move`
    tells the stream's reader (stock health) a sale from a transfer, at no extra write."""
    values = {":q": qty, ":all": qty + released, ":released": released, ":now": at, ":purpose": purpose}
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(sku, location_id),
            "UpdateExpression": "SET on_hand = on_hand - :q, reserved = reserved - :all, "
            "available = available + :released, updated_at = :now, last_move = :purpose",
            "ConditionExpression": "reserved >= :all",
            "ExpressionAttributeValues": to_item(values),
        }
    }


def receive_units(
    sku: str, location_id: str, qty: int, at: str, reserve: int = 0, quarantine: int = 0
) -> TransactWriteItemTypeDef:
    """Units arrive: on_hand grows, and available with it less what they serve at once (`reserve`:
    backorders, moving `reserved`); damaged ones (`quarantine`) are counted apart; a location's first
    units create the record."""
    values = {":q": qty, ":free": qty - reserve, ":r": reserve, ":d": quarantine, ":loc": location_id, ":zero": 0}
    values[":now"] = at
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(sku, location_id),
            "UpdateExpression": "ADD on_hand :q, available :free, reserved :r, quarantined :d SET location_id = :loc, "
            "stocked_at = :loc, safety_stock = if_not_exists(safety_stock, :zero), updated_at = :now",
            "ExpressionAttributeValues": to_item(values),
        }
    }


def sales_ended(now: str) -> list[tuple[str, str]]:
    """Sales whose end has come, oldest first: one query of their small partition."""
    found = query_all(
        TableName=_table(),
        KeyConditionExpression="sku = :sale",
        FilterExpression="#until <= :now",
        ExpressionAttributeNames={"#until": "until"},
        ExpressionAttributeValues=to_item({":sale": SALE, ":now": now}),
    )
    return [(str(s["of_sku"]), str(s["location_id"])) for s in sorted(found, key=lambda s: str(s["until"]))]


def _sale(sku: str, location_id: str, buckets: int, until: str | None, at: str) -> TransactWriteItemTypeDef:
    """The sale's end, kept beside the stock while it is spread with one; removed otherwise."""
    key = to_item({"sku": SALE, "sk": f"{sku}#{location_id}"})
    if buckets and until:
        item = {"sku": SALE, "sk": f"{sku}#{location_id}", "of_sku": sku, "location_id": location_id, "until": until}
        return {"Put": {"TableName": _table(), "Item": to_item(item | {"updated_at": at})}}
    return {"Delete": {"TableName": _table(), "Key": key}}


def move_to_buckets(
    sku: str, location_id: str, moves: dict[int, int], buckets: int, at: str, until: str | None = None
) -> list[TransactWriteItemTypeDef]:
    """The record lends (or takes back) the units `moves` names, in one transaction with the buckets and the
    sale's end (`until`: the sweeper merges them back then)."""
    lent = sum(moves.values())
    # Lending takes the record's available units; taking back needs the units still counted reserved.
    values: dict[str, Any] = {":lent": lent, ":n": buckets, ":now": at}
    condition = "attribute_exists(sku)"
    if lent > 0:
        condition += " AND available >= :lent"
    elif lent < 0:
        condition += " AND reserved >= :back"
        values[":back"] = -lent
    items: list[TransactWriteItemTypeDef] = [
        {
            "Update": {
                "TableName": _table(),
                "Key": _key(sku, location_id),
                "UpdateExpression": "SET reserved = reserved + :lent, available = available - :lent, "
                "buckets = :n, spread_at = :now, updated_at = :now",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
        }
    ]
    # Every bucket of the new count is written (none moving: 0), each with the spread's time: a reader that
    # remembers the record (oms.store.hot_stock) knows its buckets are the ones that record lent.
    for bucket in sorted(set(moves) | set(range(buckets))):
        units = moves.get(bucket, 0)
        update: dict[str, Any] = {
            "TableName": _table(),
            "Key": _bucket_key(sku, location_id, bucket),
            "UpdateExpression": "ADD available :units SET of_sku = :sku, location_id = :loc, bucket_no = :k, "
            "spread_at = :now, updated_at = :now",
            "ExpressionAttributeValues": to_item(
                {":units": units, ":sku": sku, ":loc": location_id, ":k": bucket, ":now": at}
                | ({":back": -units} if units < 0 else {})
            ),
        }
        if units < 0:
            update["ConditionExpression"] = "available >= :back"
        items.append({"Update": update})  # type: ignore[typeddict-item]
    return [*items, _sale(sku, location_id, buckets, until, at)]


def set_level(level: StockLevel, reserved_seen: int, at: str) -> TransactWriteItemTypeDef:
    """A level recomputed from the record read with `reserved_seen` reserved units; refused if a
    reservation moved `reserved` since (they do not read first), so the caller computes again."""
    values = {
        ":on_hand": level.on_hand,
        ":safety": level.safety_stock,
        ":available": level.on_hand - level.reserved - level.safety_stock,
        ":now": at,
        ":loc": level.location_id,
        ":reserved": reserved_seen,
    }
    return {
        "Update": {
            "TableName": _table(),
            "Key": _key(level.sku, level.location_id),
            "UpdateExpression": "SET on_hand = :on_hand, safety_stock = :safety, available = :available, "
            "reserved = :reserved, location_id = :loc, stocked_at = :loc, updated_at = :now",
            "ConditionExpression": "attribute_not_exists(sku) OR reserved = :reserved",
            "ExpressionAttributeValues": to_item(values),
        }
    }


def audit_entry(sku: str, location_id: str, change: dict[str, Any], actor: str, at: str) -> TransactWriteItemTypeDef:
    item = {
        "sku": sku,
        "sk": f"{AUDIT}{location_id}#{at}#{uuid.uuid4().hex[:8]}",
        "location_id": location_id,
        "at": at,
        "actor": actor,
        **change,
    }
    return {"Put": {"TableName": _table(), "Item": to_item(item)}}


def get_level(sku: str, location_id: str) -> StockLevel | None:
    """One record, read consistently: the base of a recomputed level."""
    found = aws.dynamodb().get_item(TableName=_table(), Key=_key(sku, location_id), ConsistentRead=True).get("Item")
    return _level(from_item(found)) if found else None


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


BY_LOCATION_KEY = ("sku", "sk", "stocked_at")  # a by_location page's LastEvaluatedKey


def levels_at(location_id: str, limit: int, start: Item | None = None) -> tuple[list[StockLevel], Item | None]:
    """One location's stock records by sku (the keys-only by_location index, then the records in a batch)
    and the key to start the next page from."""
    args: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": "by_location",
        "KeyConditionExpression": "stocked_at = :loc",
        "ExpressionAttributeValues": to_item({":loc": location_id}),
        "Limit": limit,
    }
    if start:
        args["ExclusiveStartKey"] = start
    page = aws.dynamodb().query(**args)
    keys = [{"sku": item["sku"], "sk": item["sk"]} for item in page["Items"]]
    levels = sorted(_with_buckets([from_item(i) for i in batch_get(_table(), keys)]), key=lambda lv: lv.sku)
    return levels, page.get("LastEvaluatedKey")


CAPACITY = "CAPACITY#"


def count_shipment(location_id: str, day: str, limit: int) -> TransactWriteItemTypeDef:
    """One more shipment for a location today, only while it has capacity left (its `capacity_per_day`).

    The condition is the whole check: the checkout plans without reading the counters and learns that
    a location is full when this write is refused, so capacity costs no extra round trip.
    """
    return {
        "Update": {
            "TableName": _table(),
            "Key": to_item({"sku": f"{CAPACITY}{location_id}", "sk": f"DAY#{day}"}),
            "UpdateExpression": "ADD shipments :one SET location_id = :loc",
            "ConditionExpression": "attribute_not_exists(shipments) OR shipments < :limit",
            "ExpressionAttributeValues": to_item({":one": 1, ":limit": limit, ":loc": location_id}),
        }
    }
