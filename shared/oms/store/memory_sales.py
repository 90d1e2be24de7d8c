"""The memory store's returns and channels, read as the DynamoDB store reads them (oms.store.returns,
oms.store.channels); the writes are applied by oms.store.memory's commit."""

from __future__ import annotations

import threading

from oms.domain.channels import Channel, Told
from oms.domain.returns import Return


class MemoryReturns:
    def __init__(self, returns: dict[str, Return], lock: threading.RLock) -> None:
        self._returns, self._lock = returns, lock

    def get(self, return_id: str) -> Return | None:
        with self._lock:
            found = self._returns.get(return_id)
            return found.model_copy(deep=True) if found else None

    def of_order(self, order_id: str) -> list[Return]:
        with self._lock:
            found = [r.model_copy(deep=True) for r in self._returns.values() if r.order_id == order_id]
        return sorted(found, key=lambda r: r.created_at)

    def attention(self, limit: int = 100) -> list[Return]:
        with self._lock:
            found = [r.model_copy(deep=True) for r in self._returns.values() if r.needs_operator]
        return sorted(found, key=lambda r: r.updated_at)[:limit]


class MemoryChannels:
    def __init__(self, channels: dict[str, Channel], told: dict[tuple[str, str], Told], lock: threading.RLock) -> None:
        self._channels, self._told, self._lock = channels, told, lock

    def get(self, channel_id: str) -> Channel | None:
        with self._lock:
            found = self._channels.get(channel_id)
            return found.model_copy(deep=True) if found else None

    def all(self) -> list[Channel]:
        with self._lock:
            return [c.model_copy(deep=True) for _, c in sorted(self._channels.items())]

    def told(self, channel_id: str) -> dict[str, Told]:
        with self._lock:
            return {sku: t.model_copy() for (ch, sku), t in self._told.items() if ch == channel_id}
