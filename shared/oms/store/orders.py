"""Orders, holds and idempotency records in the orders table.

An order is one item (its document packed, its timeline inside) plus one item with its routing
explanation, written once; lifecycle steps rewrite only the first."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from oms import aws
from oms.clock import rfc3339
from oms.domain.orders import Order
from oms.settings import settings
from oms.store import Item, from_item, to_item
from oms.store.compression import compress, expand
from oms.store.dynamo import batch_get, decode_key, encode_key, versioned_put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef

ORDER = "ORDER#"
HOLD = "HOLD#"
IDEMPOTENCY = "IDEMPOTENCY#"
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
CREDIT = "CREDIT#"
_BY_STOREFRONT = "by_storefront"
RENEWALS = "renewals"


def _table() -> str:
    return settings().orders_table


def _order_key(order_id: str) -> dict[str, str]:
    return {"pk": f"{ORDER}{order_id}", "sk": "ORDER"}


def _order_item(order: Order) -> dict[str, Any]:
    """The order as one item: a packed document, and beside it what the indexes and conditions read."""
    deadline, renew = order.next_deadline(), order.renew_at()
    return {
        **_order_key(order.order_id),
        "storefront_id": order.storefront_id,
        "created_key": f"{order.created_at}#{order.order_id}",
        "status": order.status,
        "version": order.version,
        "body": compress(order.stored()),
        # A released shipment's pack-by time puts the order in the sparse deadlines index until it is
        # packed; the sweeper finds late ones there (None leaves the attributes, and the index, out).
        "deadline_bucket": "shipment" if deadline else None,
        "deadline_at": deadline,
        # A card authorization to renew before it lapses: in the keys-only `renewals` index, which an
        # order's other writes do not touch (its keys do not change), for its whole waiting life.
        "renew_bucket": "authorization" if renew else None,
        "renew_at": renew,
    }


def order_of(item: dict[str, Any], routing: dict[str, Any] | None = None) -> Order:
    return Order.model_validate(
        {**expand(item["body"]), "status": item["status"], "version": item["version"], "routing": routing or {}}
    )


# -- writes, as items of one transaction (see oms.store.unit_of_work) ---------------------------------


def new_order(order: Order) -> TransactWriteItemTypeDef:
    return {
        "Put": {
            "TableName": _table(),
            "Item": to_item(_order_item(order)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def changed_order(order: Order, expected_version: int) -> TransactWriteItemTypeDef:
    """The order at the version after `expected_version`, only if nobody saved it since it was read."""
    return versioned_put(_table(), _order_item(order), expected_version, key="pk")


def routing_explanation(order: Order) -> TransactWriteItemTypeDef:
    """Why the order ships from where it does: written once, beside the order, read only by the API."""
    item = {**_order_key(order.order_id), "sk": "ROUTING", "body": compress(order.routing)}
    return {"Put": {"TableName": _table(), "Item": to_item(item)}}


def idempotency_record(
    storefront_id: str, key: str, body_hash: str, order_id: str, now: datetime
) -> TransactWriteItemTypeDef:
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
    return {
        "Put": {
            "TableName": _table(),
            "Item": to_item(item),
            # DynamoDB's TTL deletes lazily: an expired record no longer counts.
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at_epoch < :now",
            "ExpressionAttributeValues": to_item({":now": epoch}),
        }
    }


def _credit_key(storefront_id: str, customer_id: str) -> Item:
    # Beside the orders that move it: one table, so the order change and the balance share a transaction.
    return to_item({"pk": f"{CREDIT}{storefront_id}#{customer_id}", "sk": "CREDIT"})


def move_open_balance(storefront_id: str, customer_id: str, delta: int, limit: int) -> TransactWriteItemTypeDef:
    """A net-terms customer's open balance moves by `delta`; growing, only while it stays within `limit`.

    The condition is the whole check (no read first), so two orders racing for the last of the credit
    cannot both get it: DynamoDB applies one update, the other's condition sees the new balance."""
    values: dict[str, Any] = {":delta": delta, ":sf": storefront_id, ":customer": customer_id}
    condition = None
    if delta > 0:
        values[":room"] = limit - delta  # negative when the order alone is over the limit: always refused
        condition = "(attribute_not_exists(balance) AND :room >= :zero) OR balance <= :room"
        values[":zero"] = 0
    update: UpdateTypeDef = {
        "TableName": _table(),
        "Key": _credit_key(storefront_id, customer_id),
        "UpdateExpression": "ADD balance :delta SET storefront = :sf, customer_id = :customer",
        "ExpressionAttributeValues": to_item(values),
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}


def open_balance(storefront_id: str, customer_id: str) -> int:
    found = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=_credit_key(storefront_id, customer_id), ConsistentRead=True)
        .get("Item")
    )
    return int(from_item(found).get("balance", 0)) if found else 0


def new_hold(hold: dict[str, Any]) -> TransactWriteItemTypeDef:
    item = {
        "pk": f"{HOLD}{hold['hold_id']}",
        "sk": "HOLD",
        **hold,
        "deadline_bucket": "hold",
        "deadline_at": hold["expires_at"],
    }
    return {
        "Put": {
            "TableName": _table(),
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def end_hold(
    hold_id: str,
    storefront_id: str | None,
    status: str,
    now: datetime,
    unexpired: bool = False,
) -> TransactWriteItemTypeDef:
    """Move an active hold to `status` (released, expired, converted); it leaves the deadline index."""
    condition = "#status = :active"
    values: dict[str, Any] = {":active": "active", ":status": status, ":now": rfc3339(now)}
    if storefront_id is not None:
        condition += " AND storefront_id = :sf"
        values[":sf"] = storefront_id
    if unexpired:
        condition += " AND expires_at > :now"
    return {
        "Update": {
            "TableName": _table(),
            "Key": to_item({"pk": f"{HOLD}{hold_id}", "sk": "HOLD"}),
            "UpdateExpression": "SET #status = :status, ended_at = :now REMOVE deadline_bucket, deadline_at",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item(values),
        }
    }


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


def get_order(order_id: str, explained: bool = False) -> Order | None:
    """The order (one GetItem); `explained` adds its routing explanation (one Query over both items)."""
    client = aws.dynamodb()
    if not explained:
        found = client.get_item(TableName=_table(), Key=to_item(_order_key(order_id)), ConsistentRead=True)
        return order_of(from_item(found["Item"])) if "Item" in found else None
    page = client.query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :order AND :routing",
        ExpressionAttributeValues=to_item({":pk": f"{ORDER}{order_id}", ":order": "ORDER", ":routing": "ROUTING"}),
        ConsistentRead=True,
    )
    items = {item["sk"]: item for item in map(from_item, page["Items"])}
    if "ORDER" not in items:
        return None
    routing = expand(items["ROUTING"]["body"]) if "ROUTING" in items else {}
    return order_of(items["ORDER"], routing)


def get_hold(hold_id: str) -> dict[str, Any] | None:
    found = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=to_item({"pk": f"{HOLD}{hold_id}", "sk": "HOLD"}), ConsistentRead=True)
        .get("Item")
    )
    return {k: v for k, v in from_item(found).items() if k not in ("pk", "sk")} if found else None


def _due(bucket: str, now: datetime, limit: int, index: str = "deadlines") -> list[dict[str, Any]]:
    """Items of one bucket whose time has passed, oldest first (a sparse index: deadlines or renewals)."""
    prefix = "renew" if index == RENEWALS else "deadline"
    page = aws.dynamodb().query(
        TableName=_table(),
        IndexName=index,
        KeyConditionExpression=f"{prefix}_bucket = :bucket AND {prefix}_at <= :now",
        ExpressionAttributeValues=to_item({":bucket": bucket, ":now": rfc3339(now)}),
        Limit=limit,
    )
    return [from_item(item) for item in page["Items"]]


def due_holds(now: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Active holds whose expiry has passed."""
    return _due("hold", now, limit)


# A page of the by_storefront index ends at a key of these attributes; the cursor is bound to the storefront.
_PAGE_KEY = ("pk", "sk", "storefront_id", "created_key")


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
        start = decode_key(cursor, f"orders:{storefront_id}", _PAGE_KEY)
        if start:
            args["ExclusiveStartKey"] = start
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
    orders = [order_of(item) for item in (found.get(from_item(key)["pk"]) for key in keys) if item is not None]
    return orders, encode_key(last, f"orders:{storefront_id}") if last else None


def due_orders(now: datetime, limit: int = 100) -> list[str]:
    """Orders with something due: a released shipment its location's SLA says should be packed by now, a
    phase to start, an asynchronous authorization past its wait, an authorization to renew."""
    found = [item["pk"] for item in _due("shipment", now, limit)]
    found += [item["pk"] for item in _due("authorization", now, limit, index=RENEWALS)]
    return [pk.removeprefix(ORDER) for pk in dict.fromkeys(found)]
