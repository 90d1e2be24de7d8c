"""The one clock every module asks for the time, so tests and the sweeper can move it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC, shifted by OMS_CLOCK_OFFSET_SECONDS (local runs only move it forward)."""

    def now(self) -> datetime:
        offset = float(os.environ.get("OMS_CLOCK_OFFSET_SECONDS", "0") or 0)
        return datetime.now(UTC) + timedelta(seconds=offset)


class FrozenClock:
    """A clock that moves only when told: for tests."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


def rfc3339(at: datetime) -> str:
    """RFC 3339 UTC with a Z, second precision unless microseconds matter for ordering."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


clock: Clock = SystemClock()
