"""What a lifecycle transition did: the timeline entries it records and the events it publishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms.domain.orders import TimelineEntry


@dataclass
class Change:
    """What one transition did: timeline entries to record and events to publish."""

    entries: list[TimelineEntry] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def note(self, at: str, kind: str, publish: bool = False, **detail: Any) -> None:
        self.entries.append(TimelineEntry(at=at, type=kind, detail=detail))
        if publish:
            self.events.append((kind, detail))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def then(self, other: Change) -> Change:
        """This change followed by `other`, as one (two transitions saved in one write)."""
        self.entries += other.entries
        self.events += other.events
        return self
