"""Inbounds and transfers in the inventory table, beside the stock they move (one transaction each).

An inbound is one document item (`INBOUND#<id>`) plus one small item per sku it still expects, kept in
that sku's own partition (`<sku>` / `IN#<location>#<inbound id>`), so what is coming for a sku is one
Query of the partition its stock already lives in. A transfer is one document item (`TRANSFER#<id>`).
Both are guarded by their version, as orders are.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from oms import aws
from oms.domain.supply import Inbound, Transfer
from oms.ports.unit_of_work import Incoming
from oms.settings import settings
from oms.store import from_item, to_item
from oms.store.dynamo import versioned_put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

INBOUND, TRANSFER, DOC, INCOMING = "INBOUND#", "TRANSFER#", "DOC", "IN#"


def _table() -> str:
    return settings().inventory_table


def _document(pk: str, body: str, expected_version: int) -> TransactWriteItemTypeDef:
    return versioned_put(_table(), {"sku": pk, "sk": DOC, "body": body}, expected_version, key="sku")


def save_inbound(inbound: Inbound, expected_version: int) -> list[TransactWriteItemTypeDef]:
    """The document, and per sku what is still expected (removed once nothing is)."""
    body = inbound.model_dump_json(exclude={"version"})
    items = [_document(f"{INBOUND}{inbound.inbound_id}", body, expected_version)]
    incoming = inbound.incoming()
    for line in inbound.lines:
        key = {"sku": line.sku, "sk": f"{INCOMING}{inbound.location_id}#{inbound.inbound_id}"}
        if line.sku in incoming:
            figures = {
                "quantity": incoming[line.sku],
                "expected_at": inbound.expected_at,
                "location_id": inbound.location_id,
                "inbound_id": inbound.inbound_id,
            }
            items.append({"Put": {"TableName": _table(), "Item": to_item(key | figures)}})
        elif expected_version:  # it was expected before: no longer
            items.append({"Delete": {"TableName": _table(), "Key": to_item(key)}})
    return items


def save_transfer(transfer: Transfer, expected_version: int) -> list[TransactWriteItemTypeDef]:
    return [
        _document(f"{TRANSFER}{transfer.transfer_id}", transfer.model_dump_json(exclude={"version"}), expected_version)
    ]


def _load(pk: str) -> tuple[dict[str, Any], int] | None:
    found = aws.dynamodb().get_item(TableName=_table(), Key=to_item({"sku": pk, "sk": DOC}), ConsistentRead=True)
    if "Item" not in found:
        return None
    item = from_item(found["Item"])
    return json.loads(item["body"]), int(item["version"])


def get_inbound(inbound_id: str) -> Inbound | None:
    found = _load(f"{INBOUND}{inbound_id}")
    return Inbound.model_validate(found[0] | {"version": found[1]}) if found else None


def get_transfer(transfer_id: str) -> Transfer | None:
    found = _load(f"{TRANSFER}{transfer_id}")
    return Transfer.model_validate(found[0] | {"version": found[1]}) if found else None


def incoming(skus: list[str]) -> list[Incoming]:
    client, found = aws.dynamodb(), []
    for sku in sorted(set(skus)):
        page = client.query(
            TableName=_table(),
            KeyConditionExpression="sku = :sku AND begins_with(sk, :incoming)",
            ExpressionAttributeValues=to_item({":sku": sku, ":incoming": INCOMING}),
        )
        for raw in page["Items"]:
            item = from_item(raw)
            found.append(
                Incoming(sku, item["location_id"], int(item["quantity"]), item["expected_at"], item["inbound_id"])
            )
    return found
