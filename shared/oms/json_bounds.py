"""Bounds on the JSON anyone sends us, checked before any parser recurses into it.

Python's json module and pydantic recurse once per nesting level: a body of a few kilobytes nested a
thousand deep is a RecursionError (a 5xx) in whatever touches it next. No document of ours nests
beyond a handful of levels, so anything deeper than MAX_DEPTH is refused as a client error, as are
numbers JSON cannot carry faithfully (NaN, Infinity, 1e400 which Python reads as infinity).
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

MAX_DEPTH = 32
_OPEN, _CLOSE, _QUOTE, _ESCAPE = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


class JsonOutOfBounds(ValueError):
    """Valid JSON, perhaps, but nested too deep or with a number out of range."""


def depth(raw: bytes) -> int:
    """How deep the arrays and objects of `raw` nest (brackets inside strings do not count)."""
    deepest = level = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _ESCAPE:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            level += 1
            deepest = max(deepest, level)
        elif byte in _CLOSE:
            level -= 1
    return deepest


def loads(raw: bytes) -> Any:
    """json.loads, refusing (JsonOutOfBounds) what nests beyond MAX_DEPTH or holds a non-finite number;
    malformed JSON raises ValueError as json.loads does."""
    if depth(raw) > MAX_DEPTH:
        raise JsonOutOfBounds(f"the JSON nests deeper than {MAX_DEPTH} levels")
    return json.loads(raw, parse_constant=_no_constant, parse_float=_finite)


def _no_constant(name: str) -> NoReturn:
    raise JsonOutOfBounds(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonOutOfBounds(f"the number {text[:20]} is out of range")
    return value
