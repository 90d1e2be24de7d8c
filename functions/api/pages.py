"""Pages of a list the API holds whole (locations, products, partners): `limit` and an opaque cursor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from oms.store.dynamo import decode_position, encode_position

T = TypeVar("T")
_SCOPE = "list"


def page(items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """The `limit` items after the cursor's (by `key`, ascending) and the cursor of the next page."""
    after = decode_position(cursor, _SCOPE) if cursor else None
    ordered = sorted(items, key=key)
    rest = [item for item in ordered if after is None or key(item) > after]
    chosen = rest[:limit]
    return chosen, encode_position(key(chosen[-1]), _SCOPE) if len(rest) > limit else None
