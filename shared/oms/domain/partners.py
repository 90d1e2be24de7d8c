"""Partners and their scope: which events a partner may send, about which locations.

A partner is a system that sends us webhooks (and, for https adapters, receives our requests). Its
roles say what it speaks for (API.md "Partner scope"); a location partner speaks only for its own
locations. An event outside that scope changes nothing: the webhook refuses it at once when the
partner's record decides it, else the worker records the refusal on the order it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

REFUSED = "partner_event.refused"  # the timeline entry of an event turned down as out of its sender's scope

Role = Literal["location", "carrier", "payments", "erp", "supplier", "marketplace", "fraud"]
ROLES: tuple[Role, ...] = get_args(Role)

# Who may send each event type. Shipment events also need the shipment's location in a location
# partner's scope; a carrier reports on any parcel it carries. Stock figures come from the location
# that counts them or from the ERP that keeps the books for every location.
SENDERS: dict[str, frozenset[Role]] = {
    "shipment.packed": frozenset({"location"}),
    "shipment.rejected": frozenset({"location"}),
    "build.completed": frozenset({"location"}),
    "shipment.shipped": frozenset({"carrier", "location"}),
    "shipment.delivered": frozenset({"carrier", "location"}),
    "shipment.exception": frozenset({"carrier", "location"}),
    "inventory.snapshot": frozenset({"location", "erp"}),
    "inventory.adjusted": frozenset({"location", "erp"}),
    "payment.authorization_expired": frozenset({"payments"}),
    "payment.chargeback": frozenset({"payments"}),
    "payment.invoice_paid": frozenset({"payments", "erp"}),
    "inventory.counted": frozenset({"location", "erp"}),
    "inbound.received": frozenset({"supplier", "location"}),
    "transfer.shipped": frozenset({"location"}),
    "transfer.received": frozenset({"location"}),
    "return.received": frozenset({"location"}),
    "payment.authorized": frozenset({"payments"}),
    "payment.pending": frozenset({"payments"}),
    "payment.failed": frozenset({"payments"}),
    "payment.cod_remitted": frozenset({"carrier", "payments"}),
    "fraud.decided": frozenset({"fraud", "payments"}),  # a screen that answered "pending" decides later
    "marketplace.order_created": frozenset({"marketplace"}),
    "marketplace.order_cancelled": frozenset({"marketplace"}),
}
# Roles whose word is not bound to particular locations.
_EVERYWHERE: frozenset[Role] = frozenset({"carrier", "erp", "marketplace", "fraud", "payments"})


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    roles: frozenset[Role] = frozenset()
    location_ids: frozenset[str] = frozenset()
    url: str | None = None  # where the https adapters send our requests
    created_at: str | None = None
    updated_at: str | None = None

    def refusal(self, event_type: str, location_ids: Iterable[str] = ()) -> str | None:
        """Why this partner may not send `event_type` about these locations, or None if it may."""
        allowed = SENDERS.get(event_type, frozenset()) & self.roles
        if not allowed:
            wanted = " or ".join(sorted(SENDERS.get(event_type, frozenset()))) or "no partner"
            return f"partner {self.partner_id} may not send {event_type}: that needs the role {wanted}"
        if allowed & _EVERYWHERE:
            return None
        foreign = sorted(set(location_ids) - self.location_ids)
        if foreign:
            return f"partner {self.partner_id} does not speak for location {', '.join(foreign)}"
        return None

    def public(self) -> dict[str, object]:
        return {
            "partner_id": self.partner_id,
            "name": self.name,
            "roles": sorted(self.roles),
            "location_ids": sorted(self.location_ids),
            "url": self.url,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
