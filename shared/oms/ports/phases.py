"""The workflow phases of an order: what to start (a machine, a stable name, an input), and the port that starts it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Phase:
    """One phase execution to start: its state machine, a name unique to it, and its input."""

    machine: Literal["fulfil", "ship"]
    name: str
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"machine": self.machine, "name": self.name, "payload": self.payload}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Phase:
        return cls(data["machine"], data["name"], data["payload"])


class PhaseStarter(Protocol):
    def start(self, phase: Phase) -> bool:
        """Start the phase; True when it runs (now, or already: its name is unique to it). False when it
        could not start now: the caller keeps it on the order and the sweeper starts it later."""


def fulfil(
    order_id: str, storefront_id: str, resume: str = "", shipment_ids: list[str] | None = None, attempt: str = ""
) -> Phase:
    """The fulfil phase from the start, after a fraud review ("after_review"), or for re-routed shipments
    ("reroute", with `attempt` naming the shipment and how often it moved, so each move runs once)."""
    name = "-".join(part for part in (order_id, "fulfil", resume, attempt) if part)
    payload: dict[str, Any] = {"order_id": order_id, "storefront_id": storefront_id, "resume": resume}
    if shipment_ids is not None:
        payload["shipment_ids"] = shipment_ids
    return Phase("fulfil", name, payload)


def ship(order_id: str, storefront_id: str, shipment_id: str, attempt: str = "") -> Phase:
    """The ship phase of one shipment; `attempt` names a second run (a name runs once on Standard)."""
    return Phase(
        "ship",
        "-".join(part for part in (order_id, "ship", shipment_id, attempt) if part),
        {"order_id": order_id, "storefront_id": storefront_id, "shipment_id": shipment_id},
    )
