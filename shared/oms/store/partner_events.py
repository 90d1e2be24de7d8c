"""Which partner events were applied: the deduplication record of the partner_events worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oms import aws
from oms.settings import settings
from oms.store import to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PREFIX = "PARTNER_EVENT#"
RETENTION_SECONDS = 30 * 24 * 3600  # partners retry for days at most


def _key(partner_id: str, event_id: str) -> dict[str, str]:
    return {"pk": f"{PREFIX}{partner_id}#{event_id}", "sk": "PARTNER_EVENT"}


def seen(partner_id: str, event_id: str) -> bool:
    found = aws.dynamodb().get_item(
        TableName=settings().orders_table, Key=to_item(_key(partner_id, event_id)), ConsistentRead=True
    )
    return "Item" in found


def marker(partner_id: str, event_id: str, event_type: str, at: str) -> TransactWriteItemTypeDef:
    """The event's dedupe record, written in the same transaction as its effect: applied exactly once."""
    from oms.clock import parse_rfc3339

    expires = int(parse_rfc3339(at).timestamp()) + RETENTION_SECONDS
    return {
        "Put": {
            "TableName": settings().orders_table,
            "Item": to_item(
                {**_key(partner_id, event_id), "type": event_type, "applied_at": at, "expires_at_epoch": expires}
            ),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
