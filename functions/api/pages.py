"""Pages of a list the API holds whole (locations, products, partners): `limit` and an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response

from oms.store.dynamo import BadCursor

T = TypeVar("T")


def page(items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """The `limit` items after the cursor's (by `key`, ascending) and the cursor of the next page."""
    after = _decode(cursor) if cursor else None
    ordered = sorted(items, key=key)
    rest = [item for item in ordered if after is None or key(item) > after]
    chosen = rest[:limit]
    return chosen, encode(key(chosen[-1])) if len(rest) > limit else None


def encode(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def _decode(cursor: str) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadCursor("the cursor is not one this API returned") from None
    if not isinstance(after, str):
        raise BadCursor("the cursor is not one this API returned")
    return after


def reply(status: int, body: Any) -> Response[str]:
    """A JSON answer with a status of the route's choosing (a plain return is always 200)."""
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))
