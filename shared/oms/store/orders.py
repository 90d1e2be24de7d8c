"""Orders, their timelines, holds and idempotency records in the orders table (one item collection per order)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from oms import aws
from oms.clock import rfc3339
from oms.errors import OmsError
from oms.orders import Order, TimelineEntry
from oms.settings import settings
from oms.store import Item, from_item, to_item
from oms.store.dynamo import Write, batch_get

ORDER = "ORDER#"
EVENT = "EVENT#"
HOLD = "HOLD#"
IDEMPOTENCY = "IDEMPOTENCY#"
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
_BY_STOREFRONT = "by_storefront"


def _table() -> str:
    return settings().orders_table


def _order_key(order_id: str) -> dict[str, str]:
    return {"pk": f"{ORDER}{order_id}", "sk": "ORDER"}


# -- writes, as transaction items -------------------------------------------------------------------


def new_order(order: Order) -> Write:
    item = {
        **_order_key(order.order_id),
        "storefront_id": order.storefront_id,
        "created_key": f"{order.created_at}#{order.order_id}",
        "status": order.status,
        "version": order.version,
        "doc": order.stored(),
    }
    return Write(
        "order",
        {
            "Put": {
                "TableName": _table(),
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    )


def routing_explanation(order: Order) -> Write:
    """Why the order ships from where it does: written once, beside the order."""
    item = {**_order_key(order.order_id), "sk": "ROUTING", "routing": order.routing}
    return Write("routing", {"Put": {"TableName": _table(), "Item": to_item(item)}})


def timeline_entry(order_id: str, entry: TimelineEntry, seq: int = 0) -> Write:
    item = {
        "pk": f"{ORDER}{order_id}",
        "sk": f"{EVENT}{entry.at}#{seq:03d}#{uuid.uuid4().hex[:8]}",
        "at": entry.at,
        "type": entry.type,
        "detail": entry.detail,
    }
    return Write("timeline", {"Put": {"TableName": _table(), "Item": to_item(item)}})


def idempotency_record(storefront_id: str, key: str, body_hash: str, order_id: str, now: datetime) -> Write:
    """The Idempotency-Key claimed in the order's own transaction: no separate round trip, no window."""
    epoch = int(now.timestamp())
    item = {
        "pk": f"{IDEMPOTENCY}{storefront_id}#{key}",
        "sk": "IDEMPOTENCY",
        "body_hash": body_hash,
        "order_id": order_id,
        "created_at": rfc3339(now),
        "expires_at_epoch": epoch + IDEMPOTENCY_TTL_SECONDS,
    }
    return Write(
        "idempotency",
        {
            "Put": {
                "TableName": _table(),
                "Item": to_item(item),
                # DynamoDB's TTL deletes lazily: an expired record no longer counts.
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at_epoch < :now",
                "ExpressionAttributeValues": to_item({":now": epoch}),
            }
        },
    )


def new_hold(hold: dict[str, Any]) -> Write:
    item = {
        "pk": f"{HOLD}{hold['hold_id']}",
        "sk": "HOLD",
        **hold,
        "deadline_bucket": "hold",
        "deadline_at": hold["expires_at"],
    }
    return Write(
        "hold",
        {
            "Put": {
                "TableName": _table(),
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    )


def end_hold(
    hold_id: str,
    storefront_id: str | None,
    status: str,
    now: datetime,
    label: str = "hold",
    unexpired: bool = False,
) -> Write:
    """Move an active hold to `status` (released, expired, converted); it leaves the deadline index."""
    condition = "#status = :active"
    values: dict[str, Any] = {":active": "active", ":status": status, ":now": rfc3339(now)}
    if storefront_id is not None:
        condition += " AND storefront_id = :sf"
        values[":sf"] = storefront_id
    if unexpired:
        condition += " AND expires_at > :now"
    return Write(
        label,
        {
            "Update": {
                "TableName": _table(),
                "Key": to_item({"pk": f"{HOLD}{hold_id}", "sk": "HOLD"}),
                "UpdateExpression": "SET #status = :status, ended_at = :now REMOVE deadline_bucket, deadline_at",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": to_item(values),
            }
        },
    )


# -- reads ------------------------------------------------------------------------------------------


def get_idempotency(storefront_id: str, key: str, now: datetime) -> dict[str, Any] | None:
    found = (
        aws.dynamodb()
        .get_item(
            TableName=_table(),
            Key=to_item({"pk": f"{IDEMPOTENCY}{storefront_id}#{key}", "sk": "IDEMPOTENCY"}),
            ConsistentRead=True,
        )
        .get("Item")
    )
    if not found:
        return None
    record = from_item(found)
    return record if record["expires_at_epoch"] >= int(now.timestamp()) else None


def get_order(order_id: str) -> Order | None:
    """The order with its timeline: one Query over its item collection."""
    client = aws.dynamodb()
    args: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": to_item({":pk": f"{ORDER}{order_id}"}),
        "ConsistentRead": True,
    }
    header: dict[str, Any] | None = None
    routing: dict[str, Any] = {}
    timeline: list[TimelineEntry] = []
    while True:
        page = client.query(**args)
        for raw in page["Items"]:
            item = from_item(raw)
            if item["sk"] == "ORDER":
                header = item
            elif item["sk"] == "ROUTING":
                routing = item.get("routing", {})
            elif item["sk"].startswith(EVENT):
                timeline.append(TimelineEntry(at=item["at"], type=item["type"], detail=item.get("detail", {})))
        if "LastEvaluatedKey" not in page:
            break
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if header is None:
        return None
    return Order.model_validate(
        {
            **header["doc"],
            "status": header["status"],
            "version": header["version"],
            "timeline": timeline,
            "routing": routing,
        }
    )


def get_hold(hold_id: str) -> dict[str, Any] | None:
    found = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=to_item({"pk": f"{HOLD}{hold_id}", "sk": "HOLD"}), ConsistentRead=True)
        .get("Item")
    )
    return {k: v for k, v in from_item(found).items() if k not in ("pk", "sk")} if found else None


def _due(bucket: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Items of one deadline bucket whose deadline has passed, oldest first (the sparse deadlines index)."""
    page = aws.dynamodb().query(
        TableName=_table(),
        IndexName="deadlines",
        KeyConditionExpression="deadline_bucket = :bucket AND deadline_at <= :now",
        ExpressionAttributeValues=to_item({":bucket": bucket, ":now": rfc3339(now)}),
        Limit=limit,
    )
    return [from_item(item) for item in page["Items"]]


def due_holds(now: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Active holds whose expiry has passed."""
    return _due("hold", now, limit)


class BadCursor(OmsError):
    code, title = "invalid_cursor", "Invalid cursor"


def _encode_cursor(key: Item) -> str:
    return base64.urlsafe_b64encode(json.dumps(from_item(key)).encode()).decode()


def _decode_cursor(cursor: str, storefront_id: str) -> Item:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(key, dict) or key.get("storefront_id") != storefront_id:
            raise ValueError("cursor of another listing")
        return to_item({k: str(key[k]) for k in ("pk", "sk", "storefront_id", "created_key")})
    except (ValueError, KeyError, TypeError) as error:
        raise BadCursor("the cursor is not one this API returned for this listing") from error


def list_orders(
    storefront_id: str,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
    created_after: str | None = None,
) -> tuple[list[Order], str | None]:
    """A storefront's orders, newest first; the cursor is opaque and bound to the storefront."""
    condition = "storefront_id = :sf"
    values: dict[str, Any] = {":sf": storefront_id}
    if created_after:
        condition += " AND created_key > :after"
        values[":after"] = created_after
    args: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": _BY_STOREFRONT,
        "ScanIndexForward": False,
        "KeyConditionExpression": condition,
        "Limit": limit,
    }
    if status:
        args["FilterExpression"] = "#status = :status"
        args["ExpressionAttributeNames"] = {"#status": "status"}
        values[":status"] = status
    args["ExpressionAttributeValues"] = to_item(values)
    if cursor:
        args["ExclusiveStartKey"] = _decode_cursor(cursor, storefront_id)
    keys: list[Item] = []
    client = aws.dynamodb()
    while True:
        page = client.query(**args)
        keys += [{"pk": raw["pk"], "sk": raw["sk"]} for raw in page["Items"]]
        last = page.get("LastEvaluatedKey")
        # A filter may leave a page short: keep reading until the page is full or the index ends.
        if not last or len(keys) >= limit:
            break
        args["ExclusiveStartKey"] = last
        args["Limit"] = limit - len(keys)
    # The index holds keys and status only (cheap to keep up to date): read the orders in one batch.
    found = {from_item(raw)["pk"]: from_item(raw) for raw in batch_get(_table(), keys)}
    orders = [
        Order.model_validate({**item["doc"], "status": item["status"], "version": item["version"]})
        for item in (found.get(from_item(key)["pk"]) for key in keys)
        if item is not None
    ]
    return orders, _encode_cursor(last) if last else None


def save(order: Order, entries: list[TimelineEntry], extra: list[Write] | None = None) -> None:
    """Write a changed order (only if nobody else changed it since it was read), its new timeline
    entries and any other writes of the same step (stock, deadlines), all in one transaction."""
    from oms.store.dynamo import transact

    expected = order.version
    order.version += 1
    writes = [
        Write(
            "order",
            {
                "Update": {
                    "TableName": _table(),
                    "Key": to_item(_order_key(order.order_id)),
                    "UpdateExpression": "SET doc = :doc, #status = :status, version = :version",
                    "ConditionExpression": "version = :expected",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":expected": expected,
                            ":version": order.version,
                            ":status": order.status,
                            ":doc": order.stored(),
                        }
                    ),
                }
            },
        )
    ]
    writes += [timeline_entry(order.order_id, entry, seq) for seq, entry in enumerate(entries)]
    try:
        transact([*writes, *(extra or [])])
    except Exception:
        order.version = expected
        raise


def shipment_deadline(order_id: str, shipment_id: str, due_at: str) -> Write:
    """A shipment that must be packed by `due_at`: the sweeper escalates it after that."""
    item = {
        "pk": f"DEADLINE#{order_id}#{shipment_id}",
        "sk": "SHIPMENT",
        "order_id": order_id,
        "shipment_id": shipment_id,
        "deadline_bucket": "shipment",
        "deadline_at": due_at,
    }
    return Write("deadline", {"Put": {"TableName": _table(), "Item": to_item(item)}})


def clear_deadline(order_id: str, shipment_id: str) -> Write:
    return Write(
        "deadline",
        {
            "Delete": {
                "TableName": _table(),
                "Key": to_item({"pk": f"DEADLINE#{order_id}#{shipment_id}", "sk": "SHIPMENT"}),
            }
        },
    )


def due_shipments(now: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Released shipments whose location's SLA to pack them has passed."""
    return _due("shipment", now, limit)
