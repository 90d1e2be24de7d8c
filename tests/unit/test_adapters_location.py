"""The sandbox location: acknowledges a release (pick, or build with instructions) and a recall; packs nothing."""

from __future__ import annotations

import pytest

from oms.adapters.sandbox_location import SandboxLocation
from oms.domain.models import Address
from oms.ports.location import LocationGateway, RecallRequest, ReleaseLine, ReleaseRequest
from oms.ports.payment import reference

location: LocationGateway = SandboxLocation()
ADDRESS = Address(name="Ana", line1="1 Ayala Ave", city="Makati", postal_code="1226", country="PH")


def release(
    key: str = "ord_1:shp_1:release", made_to_order: bool = False, instructions: str | None = None
) -> ReleaseRequest:
    return ReleaseRequest(
        order_id="ord_1",
        shipment_id="shp_1",
        location_id="ceb-workshop" if made_to_order else "mnl-wh-1",
        lines=(ReleaseLine("CUSTOM-SOFA" if made_to_order else "TSHIRT-RED-M", 1, note="blue fabric"),),
        ship_to=ADDRESS,
        service_level="standard",
        idempotency_key=key,
        carrier="Sandbox Post",
        tracking_number="SBX000000000001",
        label_ref="label_1",
        made_to_order=made_to_order,
        build_instructions=instructions,
    )


def test_a_stocked_shipment_is_acknowledged_for_picking() -> None:
    ack = location.release(release())
    assert (ack.status, ack.work, ack.location_id) == ("acknowledged", "pick", "mnl-wh-1")
    assert ack.release_id == reference("rel", "ord_1:shp_1:release")


def test_a_made_to_order_shipment_goes_to_its_workshop_with_build_instructions() -> None:
    request = release(made_to_order=True, instructions="Frame in oak; fabric per line note")
    ack = location.release(request)
    assert (ack.work, ack.location_id) == ("build", "ceb-workshop")
    assert request.build_instructions == "Frame in oak; fabric per line note"


@pytest.mark.parametrize("instructions", [None, "", "   "])
def test_a_made_to_order_release_without_build_instructions_is_refused(instructions: str | None) -> None:
    with pytest.raises(ValueError, match="build instructions"):
        release(made_to_order=True, instructions=instructions)


def test_the_same_release_key_gives_the_same_acknowledgement() -> None:
    assert location.release(release("k1")) == location.release(release("k1"))
    assert location.release(release("k1")).release_id != location.release(release("k2")).release_id


def test_a_release_needs_lines_and_units() -> None:
    with pytest.raises(ValueError, match="line"):
        ReleaseRequest("o", "s", "l", (), ADDRESS, "standard", "k")
    with pytest.raises(ValueError, match="unit"):
        ReleaseLine("A", 0)


def test_a_recall_is_acknowledged() -> None:
    ack = location.recall(RecallRequest("ord_1", "shp_1", "mnl-wh-1", "rel_1", "ord_1:shp_1:recall", "cancelled"))
    assert (ack.release_id, ack.status, ack.pending) == ("rel_1", "recalled", False)
