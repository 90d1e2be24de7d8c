"""Returns (RMA) in the orders table, each an item in its order's partition (`ORDER#<order id>` /
`RETURN#<return id>`), so an order's returns are one Query and a return changes in one transaction with
its order. A return id names its order (`ret_<the order id's random part>_<n>`), so a return is found by
its id alone. One waiting for an operator also sits in the sparse deadlines index (bucket `return`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from oms import aws
from oms.domain.returns import Return, order_id_of
from oms.settings import settings
from oms.store import from_item, to_item
from oms.store.dynamo import versioned_put

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

ORDER, RETURN = "ORDER#", "RETURN#"


def _table() -> str:
    return settings().orders_table


def save(ret: Return, expected_version: int) -> TransactWriteItemTypeDef:
    item = {
        "pk": f"{ORDER}{ret.order_id}",
        "sk": f"{RETURN}{ret.return_id}",
        "body": ret.model_dump_json(exclude={"version"}),
        "deadline_bucket": "return" if ret.needs_operator else None,
        "deadline_at": ret.updated_at if ret.needs_operator else None,
    }
    return versioned_put(_table(), item, expected_version, key="pk")


def _return(item: dict[str, object]) -> Return:
    return Return.model_validate(json.loads(str(item["body"])) | {"version": item["version"]})


def get(return_id: str) -> Return | None:
    order_id = order_id_of(return_id)
    if order_id is None:
        return None
    key = {"pk": f"{ORDER}{order_id}", "sk": f"{RETURN}{return_id}"}
    found = aws.dynamodb().get_item(TableName=_table(), Key=to_item(key), ConsistentRead=True)
    return _return(from_item(found["Item"])) if "Item" in found else None


def of_order(order_id: str) -> list[Return]:
    page = aws.dynamodb().query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :returns)",
        ExpressionAttributeValues=to_item({":pk": f"{ORDER}{order_id}", ":returns": RETURN}),
        ConsistentRead=True,
    )
    return sorted((_return(from_item(raw)) for raw in page["Items"]), key=lambda r: r.created_at)


def attention(limit: int = 100) -> list[Return]:
    page = aws.dynamodb().query(
        TableName=_table(),
        IndexName="deadlines",
        KeyConditionExpression="deadline_bucket = :bucket",
        ExpressionAttributeValues=to_item({":bucket": "return"}),
        Limit=limit,
    )
    return [_return(from_item(raw)) for raw in page["Items"]]
