"""Stock health records in the inventory table, in the sku's own partition (`<sku>` / `HEALTH#<location>`).

Apart from the stock record on purpose: a stock record is written by every reservation, so its size is
what checkout pays per write; sales history lives here, written only when a shipment or a status changes.
The daily run walks the stock records by location (oms.store.inventory.levels_at) and reads these in batches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from oms import aws
from oms.domain.health import Record
from oms.settings import settings
from oms.store import from_item, to_item
from oms.store.dynamo import batch_get, versioned_put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

HEALTH = "HEALTH#"


def _table() -> str:
    return settings().inventory_table


def _key(sku: str, location_id: str) -> dict[str, str]:
    return {"sku": sku, "sk": f"{HEALTH}{location_id}"}


def save(record: Record, expected_version: int) -> TransactWriteItemTypeDef:
    item = _key(record.sku, record.location_id) | {
        "body": record.model_dump_json(exclude={"version"}),
        "status": record.status or "unknown",
    }
    return versioned_put(_table(), item, expected_version, key="sku")


def _record(item: dict[str, Any]) -> Record:
    return Record.model_validate(json.loads(item["body"]) | {"version": int(item["version"])})


def get(sku: str, location_id: str) -> Record | None:
    found = aws.dynamodb().get_item(TableName=_table(), Key=to_item(_key(sku, location_id)), ConsistentRead=True)
    return _record(from_item(found["Item"])) if "Item" in found else None


def many(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Record]:
    found = (_record(from_item(item)) for item in batch_get(_table(), [to_item(_key(*key)) for key in keys]))
    return {(record.sku, record.location_id): record for record in found}


def of_sku(sku: str) -> list[Record]:
    page = aws.dynamodb().query(
        TableName=_table(),
        KeyConditionExpression="sku = :sku AND begins_with(sk, :health)",
        ExpressionAttributeValues=to_item({":sku": sku, ":health": HEALTH}),
    )
    return [_record(from_item(item)) for item in page["Items"]]
