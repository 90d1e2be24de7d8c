"""`make demo` end to end: its three orders go all the way to delivered on the e2e stack, and a unit of one comes
back and is refunded."""

from __future__ import annotations

import io

from scripts.demo import main
from tests.e2e.conftest import ADMIN_KEY, PARTNER_SECRET, STOREFRONT_KEY, STOREFRONT_KEY_2, Api


def test_the_demo_delivers_every_order_and_captures_its_total(api: Api) -> None:
    out = io.StringIO()
    orders = main(
        base_url=api.base,
        storefront_key=STOREFRONT_KEY,
        storefront_key_2=STOREFRONT_KEY_2,
        partner_secret=PARTNER_SECRET,
        admin_key=ADMIN_KEY,
        out=out,
        wait_seconds=60,  # a generous bound for a loaded CI machine; the demo itself waits 20 s
    )
    assert len(orders) == 3, out.getvalue()
    for order in orders:
        assert order["status"] == "delivered", out.getvalue()
        assert order["payment"]["captured"] == order["totals"]["total"], out.getvalue()
        assert {s["status"] for s in order["shipments"]} == {"delivered"}, out.getvalue()
    assert {o["customer"]["type"] for o in orders} == {"b2c", "b2b"}
    sofa = next(o for o in orders if any(ln["sku"] == "CUSTOM-SOFA" for ln in o["lines"]))
    assert [s["location_id"] for s in sofa["shipments"]] == ["ceb-workshop"]
    assert "build.completed" in [e["type"] for e in sofa["timeline"]]
    assert "all 3 orders delivered and fully captured" in out.getvalue()
    assert "6. stock health" in out.getvalue() and "TSHIRT-RED-M" in out.getvalue().split("6. stock health")[1]
    returned = out.getvalue().split("7. a return")[1]
    assert "return.received" in returned and "  refunded PHP " in returned, out.getvalue()
