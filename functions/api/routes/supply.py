"""Admin routes for stock that is coming: purchase orders / ASNs (inbound) and transfers between locations."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from pydantic import Field, StringConstraints, field_validator

from functions.api import admin_schemas as views
from functions.api.caller import admin
from functions.api.pages import reply
from functions.api.routes import new_router, route
from oms import bootstrap
from oms.clock import parse_rfc3339
from oms.domain.errors import NotFound
from oms.domain.models import ADMIN_ONLY, HoldLine, Id, ShortText, Strict
from oms.services import supply

router = new_router()
KNOWN = {404: ["location_not_found"], 422: ["unknown_sku", "invalid_quantity"]}


class InboundIn(Strict):
    model_config = ADMIN_ONLY

    location_id: Id
    expected_at: Annotated[str, StringConstraints(max_length=40)]
    lines: Annotated[list[HoldLine], Field(min_length=1, max_length=supply.MAX_LINES)]
    supplier: ShortText | None = None

    @field_validator("expected_at")
    @classmethod
    def _when(cls, value: str) -> str:
        parse_rfc3339(value)  # ValueError: not an RFC 3339 time
        return value


class TransferIn(Strict):
    model_config = ADMIN_ONLY

    from_location_id: Id
    to_location_id: Id
    lines: Annotated[list[HoldLine], Field(min_length=1, max_length=100)]
    reason: ShortText | None = None


def _units(lines: list[HoldLine]) -> dict[str, int]:
    units: dict[str, int] = {}
    for line in lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


@route(
    router,
    "put_inbound",
    summary="Create or change a purchase order / ASN: what a supplier sends to a location, and when",
    tags=["supply"],
    ok={201: ("Created", views.Inbound), 200: ("Changed", views.Inbound)},
    problems={**KNOWN, 422: [*KNOWN[422], "inbound_closed", "inbound_started", "below_received"]},
)
def put_inbound(inbound_id: Id, body: InboundIn) -> Response[str]:
    admin(router)
    inbound, created = supply.put_inbound(
        bootstrap.aws(), inbound_id, body.location_id, body.expected_at, _units(body.lines), body.supplier
    )
    return reply(201 if created else 200, inbound.model_dump(mode="json"))


@route(
    router,
    "get_inbound",
    summary="A purchase order / ASN",
    tags=["supply"],
    ok={200: views.Inbound},
    problems={404: ["inbound_not_found"]},
)
def get_inbound(inbound_id: Id) -> dict[str, Any]:
    admin(router)
    inbound = bootstrap.aws().uow.supply.inbound(inbound_id)
    if inbound is None:
        raise NotFound(f"no inbound {inbound_id}", code="inbound_not_found")
    return inbound.model_dump(mode="json")


@route(
    router,
    "create_transfer",
    summary="Move stock between locations: reserved at the source at once, in transit until received",
    tags=["supply"],
    ok={201: ("Created", views.Transfer)},
    problems={**KNOWN, 409: ["insufficient_stock"], 422: [*KNOWN[422], "transfer_to_itself"]},
)
def create_transfer(body: TransferIn) -> Response[str]:
    admin(router)
    transfer = supply.create_transfer(
        bootstrap.aws(), body.from_location_id, body.to_location_id, _units(body.lines), body.reason
    )
    return reply(201, transfer.model_dump(mode="json"))


@route(
    router,
    "get_transfer",
    summary="A transfer",
    tags=["supply"],
    ok={200: views.Transfer},
    problems={404: ["transfer_not_found"]},
)
def get_transfer(transfer_id: Id) -> dict[str, Any]:
    admin(router)
    transfer = bootstrap.aws().uow.supply.transfer(transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}", code="transfer_not_found")
    return transfer.model_dump(mode="json")
