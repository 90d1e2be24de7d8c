"""Operators' order search across storefronts: newest first, filtered, paged by an opaque cursor.

A read side beside the repositories, over the by_storefront index the storefronts' own listing uses
(no index of its own: every order write would pay for it). Each page merges the newest keys of every
storefront asked, reads those orders in one batch and keeps the ones that match; filters the index
cannot answer (sku, location, the free-text `q`) are applied to the orders read, at most `budget`
orders per request, so a rare match costs a few pages rather than one unbounded request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oms import aws
from oms.domain.orders import Order
from oms.settings import settings
from oms.store import from_item, to_item
from oms.store.dynamo import batch_get, decode_position, encode_position
from oms.store.orders import ORDER, get_order, order_of

_INDEX = "by_storefront"
_NEWEST = "\U0010ffff"  # sorts after every created_key
_OLDEST = "0"  # before every one (a key value may not be empty)
_SCOPE = "admin-orders"
BUDGET = 400  # orders examined per request, at most


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    sku: str | None = None
    location_id: str | None = None
    created_after: str | None = None
    created_before: str | None = None
    q: str | None = None

    def match(self, order: Order) -> bool:
        if self.status and order.status != self.status:
            return False
        if self.sku and all(line.sku != self.sku for line in order.lines):
            return False
        if self.location_id and all(s.location_id != self.location_id for s in order.shipments):
            return False
        if self.q:
            needle = self.q.lower()
            haystack = (order.order_id, order.customer.email, order.po_number or "", order.customer.id)
            return any(needle in text.lower() for text in haystack)
        return True


def search(
    storefront_ids: list[str], filters: Filters, limit: int, cursor: str | None
) -> tuple[list[Order], str | None]:
    """Up to `limit` matching orders, newest first, and the cursor of the next page (None at the end)."""
    if filters.q and filters.q.startswith("ord_"):
        order = get_order(filters.q)
        found = order is not None and order.storefront_id in storefront_ids and filters.match(order)
        return ([order] if found and order else []), None
    before = decode_position(cursor, _SCOPE) if cursor else (filters.created_before or _NEWEST)
    after = filters.created_after or _OLDEST
    matches: list[Order] = []
    examined = 0
    while examined < BUDGET:
        chunk = min(max(limit, 25), BUDGET - examined)
        keys, resume = _newest_keys(storefront_ids, after, before, filters.status, chunk)
        if resume is not None:  # below it, some storefront has not been read yet: those come next round
            keys = [(created_key, key) for created_key, key in keys if created_key >= resume]
        if not keys and resume is None:
            return matches, None
        orders = _read([key for _, key in keys])
        for created_key, key in keys:
            examined += 1
            order = orders.get(key["pk"])
            if order is not None and filters.match(order):
                matches.append(order)
            before = created_key
            if len(matches) == limit:
                return matches, encode_position(before, _SCOPE)
        if resume is None:
            return matches, None
        before, examined = resume, examined + (0 if keys else chunk)  # every storefront is read down to here
    return matches, encode_position(before, _SCOPE)  # the budget ran out: the next page carries on from here


def _newest_keys(
    storefront_ids: list[str], after: str, before: str, status: str | None, chunk: int
) -> tuple[list[tuple[str, dict[str, str]]], str | None]:
    """The `chunk` newest (created_key, order key) pairs below `before` over every storefront, and where to
    read on from if there may be more (None: that is all down to `after`). A short page is not the end:
    DynamoDB counts its Limit before a filter, and the cursor's own order, which BETWEEN includes, is
    dropped; a page the filter emptied still moves the position on (the newest point not yet read)."""
    client, found, resume = aws.dynamodb(), [], []
    for storefront_id in storefront_ids:
        args: dict[str, Any] = {
            "TableName": settings().orders_table,
            "IndexName": _INDEX,
            "KeyConditionExpression": "storefront_id = :sf AND created_key BETWEEN :after AND :before",
            "ScanIndexForward": False,
            "Limit": chunk + 1,  # the cursor's own order may be the first
        }
        values: dict[str, Any] = {":sf": storefront_id, ":after": after, ":before": before}
        if status:  # the index carries status: filtered there, before any order is read
            args["FilterExpression"] = "#status = :status"
            args["ExpressionAttributeNames"] = {"#status": "status"}
            values[":status"] = status
        args["ExpressionAttributeValues"] = to_item(values)
        page = client.query(**args)
        if "LastEvaluatedKey" in page:
            resume.append(str(from_item(page["LastEvaluatedKey"])["created_key"]))
        for item in page["Items"]:
            plain = from_item(item)
            if plain["created_key"] != before:  # BETWEEN is inclusive; the cursor's own order was shown
                found.append((plain["created_key"], {"pk": plain["pk"], "sk": plain["sk"]}))
    found.sort(key=lambda pair: pair[0], reverse=True)
    if len(found) > chunk:  # read further than the chunk: it ends at its last pair
        resume.append(found[chunk - 1][0])
    return found[:chunk], max(resume) if resume else None


def _read(keys: list[dict[str, str]]) -> dict[str, Order]:
    items = map(from_item, batch_get(settings().orders_table, [to_item(key) for key in keys]))
    return {item["pk"]: order_of(item) for item in items if item["pk"].startswith(ORDER)}
