"""Inbounds and transfers in the inventory table, beside the stock they move (one transaction each).

An inbound is one document item (`INBOUND#<id>`) plus one small item per sku it still expects, kept in
that sku's own partition (`<sku>` / `IN#<location>#<inbound id>`), so what is coming for a sku is one
Query of the partition its stock already lives in. That item is also the lot backorders are promised
against (oms.domain.backorder): `promised`, `held`, and `unpromised` for checkout's one guarded update;
each promise is an item beside it (`BO#<location>#<inbound id>#<placed at>#<order>#<shipment>`), so a
receipt reads the lot's promises first come first in one Query. A transfer is one document item (`TRANSFER#<id>`).
Both are guarded by their version, as orders are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from oms import aws
from oms.domain.backorder import Lot, Promised
from oms.domain.supply import Inbound, Transfer
from oms.settings import settings
from oms.store import from_item, to_item
from oms.store.dynamo import batch_get, query_all, versioned_put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

INBOUND, TRANSFER, DOC, INCOMING, PROMISE = "INBOUND#", "TRANSFER#", "DOC", "IN#", "BO#"


def _table() -> str:
    return settings().inventory_table


def _document(pk: str, body: str, expected_version: int) -> TransactWriteItemTypeDef:
    return versioned_put(_table(), {"sku": pk, "sk": DOC, "body": body}, expected_version, key="sku")


def _lot_key(sku: str, location_id: str, inbound_id: str) -> dict[str, str]:
    return {"sku": sku, "sk": f"{INCOMING}{location_id}#{inbound_id}"}


def save_inbound(
    inbound: Inbound,
    expected_version: int,
    lots: Mapping[str, Lot],
    settled: Mapping[str, Lot],
    previous: Inbound | None,
) -> list[TransactWriteItemTypeDef]:
    """The document, and per sku its lot: what is still expected, and the promises' figures (`promised`,
    `held`, and `unpromised` for checkout's guard), each guarded on `promised` as read. A lot with
    nothing expected, promised or held goes."""
    body = inbound.model_dump_json(exclude={"version"})
    items = [_document(f"{INBOUND}{inbound.inbound_id}", body, expected_version)]
    incoming = inbound.incoming()
    skus = {line.sku for line in inbound.lines}
    for sku in sorted(skus):
        seen = lots.get(sku)
        after = settled.get(sku) or seen
        promised, held = (after.promised, after.held) if after else (0, 0)
        quantity = incoming.get(sku, 0)
        guard = "attribute_not_exists(promised) OR promised = :seen"
        key = to_item(_lot_key(sku, inbound.location_id, inbound.inbound_id))
        if quantity or promised or held:
            values = {
                ":q": quantity,
                ":e": inbound.expected_at,
                ":loc": inbound.location_id,
                ":id": inbound.inbound_id,
                ":p": promised,
                ":h": held,
                ":u": quantity - promised,
                ":seen": seen.promised if seen else 0,
            }
            update = (
                "SET quantity = :q, expected_at = :e, location_id = :loc, inbound_id = :id, "
                "promised = :p, held = :h, unpromised = :u"
            )
            items.append(
                {
                    "Update": {
                        "TableName": _table(),
                        "Key": key,
                        "UpdateExpression": update,
                        "ConditionExpression": guard,
                        "ExpressionAttributeValues": to_item(values),
                    }
                }
            )
        else:  # nothing left: the lot goes (if a checkout promised units meanwhile, the guard says so)
            seen_value = to_item({":seen": seen.promised if seen else 0})
            items.append(
                {
                    "Delete": {
                        "TableName": _table(),
                        "Key": key,
                        "ConditionExpression": guard,
                        "ExpressionAttributeValues": seen_value,
                    }
                }
            )
    if previous is not None:  # lots of lines removed, or left behind at the location it moved from
        kept = {(sku, inbound.location_id) for sku in skus}
        for line in previous.lines:
            if (line.sku, previous.location_id) not in kept:
                gone = to_item(_lot_key(line.sku, previous.location_id, previous.inbound_id))
                items.append({"Delete": {"TableName": _table(), "Key": gone}})
    return items


def _promise_key(promised: Promised) -> dict[str, str]:
    return {
        "sku": promised.sku,
        "sk": f"{PROMISE}{promised.location_id}#{promised.inbound_id}#{promised.placed_at}#"
        f"{promised.order_id}#{promised.shipment_id}",
    }


def promise_units(promised: Promised) -> list[TransactWriteItemTypeDef]:
    """The lot's units leave `unpromised` (guarded) and the promise is recorded beside it."""
    lot = _lot_key(promised.sku, promised.location_id, promised.inbound_id)
    record = {
        **_promise_key(promised),
        "location_id": promised.location_id,
        "inbound_id": promised.inbound_id,
        "order_id": promised.order_id,
        "shipment_id": promised.shipment_id,
        "quantity": promised.quantity,
        "placed_at": promised.placed_at,
        "served": False,
    }
    return [
        {
            "Update": {
                "TableName": _table(),
                "Key": to_item(lot),
                "UpdateExpression": "SET promised = promised + :q, unpromised = unpromised - :q",
                "ConditionExpression": "unpromised >= :q",
                "ExpressionAttributeValues": to_item({":q": promised.quantity}),
            }
        },
        {"Put": {"TableName": _table(), "Item": to_item(record), "ConditionExpression": "attribute_not_exists(sk)"}},
    ]


def serve_promise(promised: Promised) -> TransactWriteItemTypeDef:
    return {
        "Update": {
            "TableName": _table(),
            "Key": to_item(_promise_key(promised)),
            "UpdateExpression": "SET served = :yes",
            "ConditionExpression": "served = :no",
            "ExpressionAttributeValues": to_item({":yes": True, ":no": False}),
        }
    }


def drop_promise(promised: Promised) -> list[TransactWriteItemTypeDef]:
    """The promise goes; unserved, its units are the lot's to promise again."""
    items: list[TransactWriteItemTypeDef] = [
        {
            "Delete": {
                "TableName": _table(),
                "Key": to_item(_promise_key(promised)),
                "ConditionExpression": "served = :served",
                "ExpressionAttributeValues": to_item({":served": promised.served}),
            }
        }
    ]
    if not promised.served:
        items.append(
            {
                "Update": {
                    "TableName": _table(),
                    "Key": to_item(_lot_key(promised.sku, promised.location_id, promised.inbound_id)),
                    "UpdateExpression": "SET promised = promised - :q, unpromised = unpromised + :q",
                    "ConditionExpression": "promised >= :q",
                    "ExpressionAttributeValues": to_item({":q": promised.quantity}),
                }
            }
        )
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


def _lot(item: dict[str, Any]) -> Lot:
    return Lot(
        sku=item["sku"],
        location_id=item["location_id"],
        inbound_id=item["inbound_id"],
        expected_at=item["expected_at"],
        quantity=int(item["quantity"]),
        promised=int(item.get("promised", 0)),
        held=int(item.get("held", 0)),
    )


def _query(sku: str, prefix: str) -> list[dict[str, Any]]:
    return query_all(
        TableName=_table(),
        KeyConditionExpression="sku = :sku AND begins_with(sk, :prefix)",
        ExpressionAttributeValues=to_item({":sku": sku, ":prefix": prefix}),
        ConsistentRead=True,
    )


def incoming(skus: list[str]) -> list[Lot]:
    return [lot for sku in sorted(set(skus)) for lot in map(_lot, _query(sku, INCOMING)) if lot.quantity > 0]


def lots(inbound: Inbound) -> dict[str, Lot]:
    keys = [to_item(_lot_key(line.sku, inbound.location_id, inbound.inbound_id)) for line in inbound.lines]
    return {lot.sku: lot for lot in (_lot(from_item(raw)) for raw in batch_get(_table(), keys, consistent=True))}


def promises(lot: Lot) -> list[Promised]:
    found = _query(lot.sku, f"{PROMISE}{lot.location_id}#{lot.inbound_id}#")
    return sorted(
        (
            Promised(
                sku=item["sku"],
                location_id=item["location_id"],
                inbound_id=item["inbound_id"],
                order_id=item["order_id"],
                shipment_id=item["shipment_id"],
                quantity=int(item["quantity"]),
                placed_at=item["placed_at"],
                served=bool(item["served"]),
            )
            for item in found
        ),
        key=lambda p: p.rank,
    )
