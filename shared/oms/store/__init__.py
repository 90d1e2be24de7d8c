"""DynamoDB repositories, and the item conversion and read cache they share."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    Item = dict[str, AttributeValueTypeDef]
else:
    Item = dict[str, Any]  # the same shape at run time, without needing the type stubs installed

V = TypeVar("V")
_SMALLEST = 1e-130


# The attribute-value codec is ours, not boto3's TypeSerializer: importing boto3.dynamodb pulls all of
# boto3 (and s3transfer) into every cold start for a few lines of work. Sets are not used by the OMS.


def to_item(data: Mapping[str, Any]) -> Item:
    """A plain dict as a low-level DynamoDB item.

    Floats become DynamoDB numbers by their shortest round-tripping text, so 0.1 stays 0.1 (boto3
    refuses floats for that reason), and None-valued map entries are left out, so an absent optional
    field is an absent attribute and may never break a key or an index.
    """
    return {key: _attribute(value) for key, value in data.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item as a plain dict: numbers as int (whole) or float, binary as bytes."""
    return {key: _plain(value) for key, value in item.items()}


def _attribute(value: Any) -> Any:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: a bool is an int to Python
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"DynamoDB numbers are finite, not {value}")
        # DynamoDB refuses magnitudes under 1e-130 ("Number underflow"); they are zero to anything we store.
        return {"N": repr(value) if abs(value) >= _SMALLEST else "0"}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): _attribute(v) for k, v in value.items() if v is not None}}
    if isinstance(value, list | tuple):
        return {"L": [_attribute(v) for v in value]}
    raise TypeError(f"no DynamoDB type for {type(value).__name__}")


def _plain(value: Mapping[str, Any]) -> Any:
    ((kind, data),) = value.items()
    if kind == "N":
        number = Decimal(data)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind in ("S", "BOOL"):
        return data
    if kind == "B":
        return bytes(data)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: _plain(v) for k, v in data.items()}
    if kind == "L":
        return [_plain(v) for v in data]
    raise TypeError(f"DynamoDB type {kind} is not used by the OMS")


class TtlCache(Generic[V]):
    """A small per-process read cache whose entries live `ttl_seconds`.

    It measures age with time.monotonic, not oms.clock: cache freshness is about the machine's
    real time passing, and a test or sweeper that moves the business clock must not expire it.
    Misses are cached too (as None), so a flood of unknown ids costs one read per id per TTL.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 1024) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V | None]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: Hashable, load: Callable[[], V | None]) -> V | None:
        cached = self.peek(key)
        if cached is not TtlCache.MISSING:
            return cached  # type: ignore[no-any-return]
        value = load()  # outside the lock: a slow read must not block other keys
        self.put(key, value)
        return value

    MISSING: Any = object()  # what `peek` answers for a key not cached (None is a cached miss)

    def peek(self, key: Hashable) -> Any:
        """The fresh cached value (None for a cached miss), or MISSING."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] >= self.ttl_seconds:
            return TtlCache.MISSING
        return entry[1]

    def put(self, key: Hashable, value: V | None) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
