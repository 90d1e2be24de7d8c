"""Channels in memory: marketplace orders through the storefront's checkout (once per marketplace order,
refused back when they cannot be served), and each channel told the latest figure, less its buffer."""

from __future__ import annotations

from typing import Any

import pytest

from oms.adapters.sandbox_marketplace import SandboxMarketplace
from oms.domain.channels import Buffer, ChannelIn
from oms.domain.partners import Partner
from oms.services import partner_events
from oms.services.channels import publish_changes, put_channel, resync_all
from oms.services.checkout import place_order
from oms.services.deps import Deps
from oms.services.steps import load
from oms.store.memory import MemoryStore
from tests.network import body
from tests.services.events import CARRIER, WAREHOUSE, delivered, event, packed
from tests.services.flow import run_fulfil, run_ship

SHOPEE = Partner("shopee", "Shopee", roles=frozenset({"marketplace"}))


@pytest.fixture(autouse=True)
def marketplace() -> None:
    SandboxMarketplace.published.clear()
    SandboxMarketplace.refused.clear()


def told(channel_id: str) -> dict[str, int]:
    latest: dict[str, int] = {}
    for publication in SandboxMarketplace.published:
        if publication.channel_id == channel_id:
            latest.update(publication.quantities)
    return latest


def order_event(marketplace_order_id: str, lines: dict[str, int], method: str = "marketplace") -> Any:
    request = body(lines)
    return event(
        "marketplace.order_created",
        channel_id="shopee-ph",
        marketplace_order_id=marketplace_order_id,
        customer=request.customer.model_dump(),
        currency="PHP",
        lines=[line.model_dump() for line in request.lines],
        shipping_address=request.shipping_address.model_dump(),
        service_level="standard",
        payment={"method": method},
    )


def test_a_marketplace_order_is_checked_out_once_and_ships_paid_by_the_marketplace(deps: Deps) -> None:
    put_channel(deps, "shopee-ph", ChannelIn(storefront_id="sf-1", partner_id="shopee", skus=["A", "C"]))
    created = order_event("SHP-1", {"A": 1})
    outcome = partner_events.apply(deps, SHOPEE, created)
    assert outcome.startswith("order ord_")
    assert partner_events.apply(deps, SHOPEE, order_event("SHP-1", {"A": 1})) == "duplicate"  # redelivered
    order_id = outcome.removeprefix("order ")
    order = load(deps, order_id)
    assert order.source == {"channel_id": "shopee-ph", "partner_id": "shopee", "marketplace_order_id": "SHP-1"}
    assert run_fulfil(deps, order_id) == "released"
    (shipment,) = order.shipments
    partner_events.apply(deps, WAREHOUSE, packed(order_id, shipment.shipment_id))
    assert run_ship(deps, order_id, shipment.shipment_id) == "shipped"
    partner_events.apply(deps, CARRIER, delivered(order_id, shipment.shipment_id))
    done = load(deps, order_id)
    assert (done.status, done.payment.status, done.payment.captured) == ("delivered", "captured", done.totals.total)


def test_an_order_that_cannot_be_served_is_refused_back_to_the_marketplace(deps: Deps, store: MemoryStore) -> None:
    put_channel(deps, "shopee-ph", ChannelIn(storefront_id="sf-1", partner_id="shopee"))
    outcome = partner_events.apply(deps, SHOPEE, order_event("SHP-2", {"A": 99}))
    assert outcome == "refused: insufficient_stock"
    (refusal,) = SandboxMarketplace.refused
    assert (refusal.marketplace_order_id, refusal.code) == ("SHP-2", "insufficient_stock")
    other = Partner("lazada", "Lazada", roles=frozenset({"marketplace"}))
    assert partner_events.apply(deps, other, order_event("LZD-1", {"A": 1})).startswith("refused: partner lazada")


def test_each_channel_is_told_the_latest_figure_less_its_buffer_and_zero_at_the_buffers(
    deps: Deps, store: MemoryStore
) -> None:
    # A at mnl 5 and ceb 5: 10 for sf-1.
    put_channel(deps, "shopee-ph", ChannelIn(storefront_id="sf-1", partner_id="shopee", skus=["A"]))
    put_channel(
        deps, "lazada-ph", ChannelIn(storefront_id="sf-1", partner_id="lazada", buffer=Buffer(units=2, percent=50))
    )
    assert told("shopee-ph") == {"A": 10}  # a new channel hears its listed skus at once
    for n in range(4):  # a burst of checkouts: each channel hears the latest figure once per change
        place_order(deps, body({"A": 1}), "sf-1", f"k-{n}")
    sent_before = len(SandboxMarketplace.published)
    counts = publish_changes(deps, {"A"})
    assert counts == {"channels": 2, "published": 2}
    assert told("shopee-ph")["A"] == 6
    assert told("lazada-ph")["A"] == 3  # 6 less the larger buffer: half of 6
    assert publish_changes(deps, {"A"}) == {"channels": 0, "published": 0}  # nothing changed: nothing sent
    assert len(SandboxMarketplace.published) == sent_before + 2

    for n in range(4, 9):
        place_order(deps, body({"A": 1}), "sf-1", f"k-{n}")
    publish_changes(deps, {"A"})
    assert told("lazada-ph")["A"] == 0 and told("shopee-ph")["A"] == 1  # at its buffer: lazada hears 0
    figures = deps.uow.channels.told("lazada-ph")
    assert figures["A"].quantity == 0 and figures["A"].acknowledged
    assert resync_all(deps) == {"channels": 2, "published": 2}  # the schedule sends everything again


def test_a_cancelled_marketplace_order_is_cancelled_and_its_stock_freed(deps: Deps, store: MemoryStore) -> None:
    put_channel(deps, "shopee-ph", ChannelIn(storefront_id="sf-1", partner_id="shopee"))
    outcome = partner_events.apply(deps, SHOPEE, order_event("SHP-3", {"C": 2}))
    order_id = outcome.removeprefix("order ")
    assert store.stock[("C", "mnl")].reserved == 2
    cancel = event("marketplace.order_cancelled", channel_id="shopee-ph", marketplace_order_id="SHP-3", reason="buyer")
    assert partner_events.apply(deps, SHOPEE, cancel) == f"order {order_id} cancelled"
    assert store.stock[("C", "mnl")].reserved == 0


def test_a_marketplace_that_is_down_keeps_no_other_channel_from_hearing_its_figure(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_channel(deps, "lazada-ph", ChannelIn(storefront_id="sf-1", partner_id="lazada"))  # every sku, first
    put_channel(deps, "shopee-ph", ChannelIn(storefront_id="sf-1", partner_id="shopee", skus=["A"]))
    place_order(deps, body({"A": 1}), "sf-1", "k-1")
    real = SandboxMarketplace.publish_stock

    def down_for_lazada(self: SandboxMarketplace, publication: Any) -> Any:
        if publication.channel_id == "lazada-ph":
            raise ConnectionError("lazada is down")
        return real(self, publication)

    monkeypatch.setattr(SandboxMarketplace, "publish_stock", down_for_lazada)
    with pytest.raises(ConnectionError):  # the stream retries the batch...
        publish_changes(deps, {"A"})
    assert told("shopee-ph") == {"A": 9}  # ...and the channel after the failed one heard its figure anyway
    assert deps.uow.channels.told("lazada-ph")["A"].error == "lazada is down"
    with pytest.raises(ConnectionError):
        resync_all(deps)  # the schedule's pass too tells every channel before it reports the failure
    assert len([p for p in SandboxMarketplace.published if p.channel_id == "shopee-ph"]) == 3

    monkeypatch.setattr(SandboxMarketplace, "publish_stock", real)
    assert publish_changes(deps, {"A"}) == {"channels": 1, "published": 1}  # the retry: lazada alone, once up
