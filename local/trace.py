"""OMS_LOCAL_TRACE=1: one readable line per order event put on the bus, e.g.
`12:01:02 order.accepted ord_123 storefront=sf-1 status=accepted`."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

_state = {"on": False}
_lock = threading.Lock()  # whole lines, whichever threads publish at once
# Bookkeeping on every event, not what happened: left off the line.
_SKIPPED = {"order_id", "storefront_id", "storefront_subscribed"}
_LONGEST = 80


def enable(on: bool) -> None:
    _state["on"] = on


def enabled() -> bool:
    return _state["on"]


def put(entries: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]]) -> None:
    """Print a line for each entry the bus took (its answer carries an EventId), if tracing is on."""
    if not enabled():
        return
    lines = [line(entry) for entry, answer in zip(entries, answers, strict=False) if answer.get("EventId")]
    if lines:
        with _lock:
            print("\n".join(lines), file=sys.stdout, flush=True)


def line(entry: Mapping[str, Any], at: float | None = None) -> str:
    """`HH:MM:SS detail-type order-id storefront=... key=value ...`, the detail's scalars in its order."""
    try:
        detail = json.loads(entry.get("Detail") or "{}")
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    words = [
        time.strftime("%H:%M:%S", time.localtime(at)),
        str(entry.get("DetailType", "?")),
        str(detail.get("order_id", "-")),
    ]
    if detail.get("storefront_id"):
        words.append(f"storefront={detail['storefront_id']}")
    words += [f"{key}={_value(value)}" for key, value in detail.items() if key not in _SKIPPED and value is not None]
    return " ".join(words)


def _value(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        text = ",".join(str(item) for item in value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, separators=(",", ":"), default=str)
    else:
        text = str(value)
    if len(text) > _LONGEST:
        text = text[: _LONGEST - 3] + "..."
    return json.dumps(text) if (" " in text or not text) else text
