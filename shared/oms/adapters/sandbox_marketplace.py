"""A marketplace for tests and local runs: takes every figure, records what it was told (per process)."""

from __future__ import annotations

from oms.ports.marketplace import OrderRefusal, StockAck, StockPublication


class SandboxMarketplace:
    # What every sandbox marketplace of this process heard, newest last (tests read it).
    published: list[StockPublication] = []
    refused: list[OrderRefusal] = []

    def publish_stock(self, publication: StockPublication) -> StockAck:
        SandboxMarketplace.published.append(publication)
        return StockAck(frozenset(publication.quantities))

    def refuse_order(self, refusal: OrderRefusal) -> None:
        SandboxMarketplace.refused.append(refusal)
