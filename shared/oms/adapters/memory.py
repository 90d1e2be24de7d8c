"""Phases and events kept in memory: what services started and published, for tests without AWS."""

from __future__ import annotations

from dataclasses import dataclass, field

from oms.domain.orders import Order
from oms.ports.events import OrderEvent
from oms.ports.phases import Phase


@dataclass
class RecordingStarter:
    """Starts nothing: records each phase once by name (as Step Functions does); `refuse` makes it fail."""

    started: dict[str, Phase] = field(default_factory=dict)
    refuse: bool = False

    def start(self, phase: Phase) -> bool:
        if self.refuse:
            return False
        self.started.setdefault(phase.name, phase)
        return True


@dataclass
class RecordingPublisher:
    published: list[tuple[str, OrderEvent]] = field(default_factory=list)

    def publish(self, order: Order, events: list[OrderEvent]) -> None:
        self.published += [(order.order_id, event) for event in events]

    def announce(self, events: list[OrderEvent]) -> None:
        self.published += [("", event) for event in events]
