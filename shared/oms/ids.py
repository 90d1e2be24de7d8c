"""Identifiers: a prefix and a time-ordered random part, so ids sort roughly by creation."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _base32(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """`<prefix>_` + 10 chars of milliseconds + 16 random chars (80 bits): unguessable, sortable."""
    return f"{prefix}_{_base32(int(time.time() * 1000), 10)}{_base32(secrets.randbits(80), 16)}"
