"""Channels: a storefront's marketplaces (Shopee, Lazada, TikTok Shop) selling the same stock.

A channel belongs to one storefront and speaks through one `marketplace` partner. It is offered what
that storefront can sell (the stock at the locations its routing rules let ship) less a buffer held back
against orders the channel takes before it hears the last figure: `buffer.units`, or `buffer.percent` of
what is available, whichever holds back more. When a sku's availability falls to the buffers, every
channel is offered 0 at once, so the last units go only through the OMS's own checkout, never oversold.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, Field

from oms.domain.models import ADMIN_ONLY, Id, Sku, Strict


class Buffer(Strict):
    model_config = ADMIN_ONLY

    units: Annotated[int, Field(ge=0, le=1_000_000, strict=True)] = 0
    percent: Annotated[float, Field(ge=0, le=100)] = 0


class ChannelIn(Strict):
    """`PUT /v1/admin/channels/{channel_id}`."""

    model_config = ADMIN_ONLY

    storefront_id: Id
    partner_id: Id
    buffer: Buffer = Buffer()
    skus: Annotated[list[Sku], Field(max_length=10_000)] | None = None  # None: every sku the storefront sells


class Channel(BaseModel):
    channel_id: str
    storefront_id: str
    partner_id: str
    buffer: Buffer = Buffer()
    skus: list[str] | None = None
    created_at: str
    updated_at: str

    def lists(self, sku: str) -> bool:
        return self.skus is None or sku in self.skus

    def offer(self, available: int) -> int:
        """What the channel may sell of `available` units: less the larger of its two buffers."""
        held = max(self.buffer.units, math.ceil(max(0, available) * self.buffer.percent / 100))
        return max(0, available - held)


class Told(BaseModel):
    """What a channel was last told of a sku, and whether the marketplace acknowledged it."""

    channel_id: str
    sku: str
    quantity: int
    told_at: str
    acknowledged: bool = False
    attempts: int = 1
    error: str | None = None


def to_tell(channel: Channel, available: dict[str, int], told: dict[str, Told]) -> dict[str, int]:
    """The figures to publish: each listed sku whose offer differs from what the channel was last told, or
    was never acknowledged. Zeros first (a sell-out reaches the marketplace before any other figure)."""
    figures = {sku: channel.offer(units) for sku, units in available.items() if channel.lists(sku)}
    changed = {
        sku: qty
        for sku, qty in figures.items()
        if sku not in told or told[sku].quantity != qty or not told[sku].acknowledged
    }
    return dict(sorted(changed.items(), key=lambda item: (item[1] != 0, item[0])))
