"""Channels in the config table: each channel's configuration (`CHANNEL` / its id) and what it was last told
per sku (`CHANNELSTOCK#<channel id>` / the sku), so a channel's figures are one Query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oms import aws
from oms.domain.channels import Channel, Told
from oms.settings import settings
from oms.store import TtlCache, from_item, to_item
from oms.store.dynamo import query_all

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

CHANNEL, TOLD = "CHANNEL", "CHANNELSTOCK#"


def _table() -> str:
    return settings().config_table


def save_channel(channel: Channel) -> TransactWriteItemTypeDef:
    _channels.forget((_table(), CHANNEL))
    item = {"pk": CHANNEL, "sk": channel.channel_id, "body": channel.model_dump_json()}
    return {"Put": {"TableName": _table(), "Item": to_item(item)}}


def save_told(told: Told) -> TransactWriteItemTypeDef:
    item = {"pk": f"{TOLD}{told.channel_id}", "sk": told.sku, **told.model_dump()}
    return {"Put": {"TableName": _table(), "Item": to_item(item)}}


def _query(pk: str) -> list[dict[str, Any]]:
    return query_all(
        TableName=_table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": pk}),
        ConsistentRead=True,
    )


def get(channel_id: str) -> Channel | None:
    found = aws.dynamodb().get_item(TableName=_table(), Key=to_item({"pk": CHANNEL, "sk": channel_id}))
    return Channel.model_validate_json(str(from_item(found["Item"])["body"])) if "Item" in found else None


# Every stream batch asks for the channels (most stacks have few, many have none): kept 30 s per container,
# as the rest of the configuration is (oms.store.config); a put in this process forgets it at once.
_channels: TtlCache[list[Channel]] = TtlCache(30.0)


def every() -> list[Channel]:
    found = _channels.get_or_load(
        (_table(), CHANNEL), lambda: [Channel.model_validate_json(str(i["body"])) for i in _query(CHANNEL)]
    )
    return list(found or [])


def told(channel_id: str) -> dict[str, Told]:
    found = (
        Told.model_validate({k: v for k, v in item.items() if k not in ("pk", "sk")})
        for item in _query(f"{TOLD}{channel_id}")
    )
    return {t.sku: t for t in found}
