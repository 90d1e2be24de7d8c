"""DynamoDB calls every repository shares: batched reads and transactions with named items."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from oms import aws
from oms.domain.errors import OmsError
from oms.store import Item, from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, TransactWriteItemTypeDef

BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100
_ATTEMPTS = 5


def batch_get(table: str, keys: Sequence[Item], consistent: bool = False) -> list[Item]:
    """Every item of `keys` that exists, in as few BatchGetItem calls as the 100-key limit allows."""
    client = aws.dynamodb()
    found: list[Item] = []
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        request: dict[str, KeysAndAttributesTypeDef] = {
            table: {"Keys": list(keys[start : start + BATCH_GET_LIMIT]), "ConsistentRead": consistent}
        }
        for attempt in range(_ATTEMPTS):
            answer = client.batch_get_item(RequestItems=request)
            found.extend(answer.get("Responses", {}).get(table, []))
            left = answer.get("UnprocessedKeys", {}).get(table)
            if not left or not left.get("Keys"):
                break
            # Unprocessed keys mean throttling: back off before asking again.
            request = {table: {"Keys": left["Keys"], "ConsistentRead": consistent}}
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError(f"DynamoDB left keys of {table} unprocessed after {_ATTEMPTS} attempts")
    return found


def query_all(**args: Any) -> list[dict[str, Any]]:
    """Every item a Query answers (`args` as boto3 takes them), page after page, as plain values."""
    client: Any = aws.dynamodb()
    found: list[dict[str, Any]] = []
    while True:
        page = client.query(**args)
        found += [from_item(item) for item in page["Items"]]
        if not page.get("LastEvaluatedKey"):
            return found
        args = {**args, "ExclusiveStartKey": page["LastEvaluatedKey"]}


class ItemsRefused(Exception):
    """Conditions failed (`failed` holds the positions of their items) or the write collided with another."""

    def __init__(self, failed: set[int], conflict: bool) -> None:
        super().__init__(f"write refused: items {sorted(failed)}, conflict={conflict}")
        self.failed = failed
        self.conflict = conflict


def write_items(items: Sequence[TransactWriteItemTypeDef]) -> None:
    """All or nothing: one item as a plain conditional write (half a transaction's price), more in one
    TransactWriteItems call. A refused condition raises ItemsRefused naming the items that failed."""
    if len(items) > TRANSACTION_LIMIT:
        raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} items, got {len(items)}")
    client = aws.dynamodb()
    try:
        if len(items) == 1:
            _write_one(items[0])
        else:
            client.transact_write_items(TransactItems=list(items))
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ConditionalCheckFailedException":
            raise ItemsRefused({0}, conflict=False) from error
        if code == "TransactionConflictException":
            raise ItemsRefused(set(), conflict=True) from error
        if code != "TransactionCanceledException":
            raise
        reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
        failed = {i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}
        conflict = any(reason.get("Code") == "TransactionConflict" for reason in reasons)
        if not failed and not conflict:
            raise
        raise ItemsRefused(failed, conflict) from error


BATCH_WRITE_LIMIT = 25  # DynamoDB's items per BatchWriteItem


def put_batch(items: Sequence[TransactWriteItemTypeDef]) -> None:
    """Unconditional Puts that stand alone, in BatchWriteItem calls: a write unit each where a transaction
    takes two. Not all or nothing: unprocessed items (throttling) are sent again, then it raises."""
    client = aws.dynamodb()
    by_table: dict[str, list[Any]] = {}
    for item in items:
        put = item["Put"]
        if "ConditionExpression" in put:
            raise ValueError("a batch cannot hold a conditional write")
        by_table.setdefault(put["TableName"], []).append({"PutRequest": {"Item": put["Item"]}})
    for table, requests in by_table.items():
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: Any = {table: requests[start : start + BATCH_WRITE_LIMIT]}
            for attempt in range(_ATTEMPTS):
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError(f"DynamoDB left writes of {table} unprocessed after {_ATTEMPTS} attempts")


def _write_one(item: TransactWriteItemTypeDef) -> None:
    client: Any = aws.dynamodb()
    if "Put" in item:
        client.put_item(**item["Put"])
    elif "Update" in item:
        client.update_item(**item["Update"])
    elif "Delete" in item:
        client.delete_item(**item["Delete"])
    else:
        raise ValueError(f"no single-item write for {sorted(item)}")


class BadCursor(OmsError):
    code, title = "invalid_cursor", "Invalid cursor"


def encode_key(key: Item, scope: str) -> str:
    """A page's LastEvaluatedKey (or {}: from the start) as an opaque cursor, bound to its listing (`scope`)."""
    return base64.urlsafe_b64encode(json.dumps({"scope": scope, "key": from_item(key)}).encode()).decode()


def decode_key(cursor: str, scope: str, names: Sequence[str]) -> Item:
    """The key a cursor of `encode_key` carries: exactly the attributes `names` (the index's key), or none
    (from the start). BadCursor for anything else: another listing's cursor, or a forged key, which
    DynamoDB would refuse as an ExclusiveStartKey (a 5xx) rather than the client's mistake it is."""
    try:
        document = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = document["key"]
        if document["scope"] != scope or not isinstance(key, dict) or (key and set(key) != set(names)):
            raise ValueError("a cursor of another listing")
        return to_item({str(k): str(v) for k, v in key.items()})
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadCursor("the cursor is not one this API returned for this listing") from None


def encode_position(value: str, scope: str) -> str:
    """A cursor for a listing that resumes after a value of its own order (an id, a creation key)."""
    return encode_key(to_item({"at": value}), scope)


def decode_position(cursor: str, scope: str) -> str:
    """The value an `encode_position` cursor carries; BadCursor for anything else."""
    key = decode_key(cursor, scope, ("at",))
    if not key:
        raise BadCursor("the cursor is not one this API returned for this listing")
    return str(from_item(key)["at"])


def versioned_put(table: str, item: dict[str, Any], expected_version: int, key: str) -> TransactWriteItemTypeDef:
    """A document saved at the version after `expected_version`, only if nobody saved it since it was read
    (0: only if it does not exist yet; `key` is the table's partition key attribute)."""
    put: dict[str, Any] = {"TableName": table, "Item": to_item({**item, "version": expected_version + 1})}
    if expected_version == 0:
        put["ConditionExpression"] = f"attribute_not_exists({key})"
    else:
        put["ConditionExpression"] = "version = :expected"
        put["ExpressionAttributeValues"] = to_item({":expected": expected_version})
    return {"Put": put}  # type: ignore[typeddict-item]  # built up by key above
