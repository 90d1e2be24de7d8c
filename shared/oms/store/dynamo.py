"""DynamoDB calls every repository shares: batched reads and transactions with named items."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from oms import aws
from oms.store import Item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, TransactWriteItemTypeDef

BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100
_ATTEMPTS = 5


def batch_get(table: str, keys: Sequence[Item]) -> list[Item]:
    """Every item of `keys` that exists, in as few BatchGetItem calls as the 100-key limit allows."""
    client = aws.dynamodb()
    found: list[Item] = []
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        request: dict[str, KeysAndAttributesTypeDef] = {table: {"Keys": list(keys[start : start + BATCH_GET_LIMIT])}}
        for attempt in range(_ATTEMPTS):
            answer = client.batch_get_item(RequestItems=request)
            found.extend(answer.get("Responses", {}).get(table, []))
            left = answer.get("UnprocessedKeys", {}).get(table)
            if not left or not left.get("Keys"):
                break
            # Unprocessed keys mean throttling: back off before asking again.
            request = {table: {"Keys": left["Keys"]}}
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError(f"DynamoDB left keys of {table} unprocessed after {_ATTEMPTS} attempts")
    return found


@dataclass(frozen=True)
class Write:
    """One item of a transaction, with a label that says which business rule its condition guards."""

    label: str
    item: TransactWriteItemTypeDef


class TransactionRefused(Exception):
    """Conditions failed (`failed` holds their labels) or the transaction conflicted with another."""

    def __init__(self, failed: set[str], conflict: bool) -> None:
        super().__init__(f"transaction refused: failed={sorted(failed)} conflict={conflict}")
        self.failed = failed
        self.conflict = conflict


def transact(writes: Sequence[Write], token: str | None = None) -> None:
    """All or nothing, in one TransactWriteItems call."""
    if len(writes) > TRANSACTION_LIMIT:
        raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} items, got {len(writes)}")
    args: dict[str, Any] = {"TransactItems": [w.item for w in writes]}
    if token:
        args["ClientRequestToken"] = token
    try:
        aws.dynamodb().transact_write_items(**args)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "TransactionConflictException":
            raise TransactionRefused(set(), conflict=True) from error
        if code != "TransactionCanceledException":
            raise
        reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
        failed = {writes[i].label for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}
        conflict = any(reason.get("Code") == "TransactionConflict" for reason in reasons)
        if not failed and not conflict:
            raise
        raise TransactionRefused(failed, conflict) from error
