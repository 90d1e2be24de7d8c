"""Channels (marketplaces): their orders in through the storefront's own checkout, and the stock each may
sell out to them, coalesced to the latest figure.

Stock out: every change of a sku's availability reaches `publish_changes` (the channel_stock function, on
the inventory table's stream): each channel listing the sku is told `offer(available)` for its storefront,
computed from the stock as it is now (so a burst of changes sends the latest figure once, and an older
figure can never follow a newer one), zeros first, one batch per channel, only where the figure differs
from what the channel was last told or was never acknowledged. A marketplace that fails raises: the
stream retries the batch (backoff, bisect) and its failure queue keeps what never got through; what
each channel was told, and whether it acknowledged, is recorded per sku.

Orders in: `marketplace.order_created` is checked out by `check_out` itself with the marketplace's order
id as the Idempotency-Key (a redelivered or concurrent duplicate makes one order); an order that cannot be
served is refused back to the marketplace through the port, with the reason, and counted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator

from oms.domain import channels as domain
from oms.domain import inventory
from oms.domain.channels import Channel, ChannelIn, Told
from oms.domain.errors import Conflict, InsufficientStock, NotFound, Unprocessable
from oms.domain.messages import MarketplaceCancellation, MarketplaceOrder
from oms.domain.models import CheckoutRequest, StockLevel
from oms.domain.partners import Partner
from oms.domain.routing import eligible
from oms.observability import metrics
from oms.ports.marketplace import OrderRefusal, StockPublication
from oms.ports.unit_of_work import SaveChannel, SaveTold, Write
from oms.services.checkout import check_out
from oms.services.compensate import close
from oms.services.deps import Deps
from oms.services.routing_inputs import gather, read_levels, storefront_policy

TRANSACTION_LIMIT = 100


def put_channel(deps: Deps, channel_id: str, body: ChannelIn) -> tuple[Channel, bool]:
    """Create or replace a channel (its storefront and listed skus must exist), then tell it everything."""
    if deps.uow.config.storefront(body.storefront_id) is None:
        raise NotFound(f"no storefront {body.storefront_id}", code="storefront_not_found")
    if body.skus:
        gather(deps, body.storefront_id, body.skus).require_known(body.skus)
    current = deps.uow.channels.get(channel_id)
    now = deps.now()
    channel = Channel(
        channel_id=channel_id,
        **body.model_dump(),
        created_at=current.created_at if current else now,
        updated_at=now,
    )
    deps.uow.add(SaveChannel(channel))
    deps.uow.commit()
    resync(deps, channel_id)
    return channel, current is None


def available_for(deps: Deps, storefront_id: str, skus: set[str]) -> dict[str, int]:
    """What the storefront can sell of each sku now: the stock at the locations its rules let ship (only
    those are read)."""
    selling = eligible(deps.uow.config.locations(), storefront_policy(deps, storefront_id))
    by_sku: dict[str, list[StockLevel]] = {sku: [] for sku in skus}
    for (sku, _), level in read_levels(deps, skus, selling).items():
        by_sku[sku].append(level)
    return {sku: inventory.availability(levels)["available"] for sku, levels in by_sku.items()}


def publish(
    deps: Deps,
    channel: Channel,
    skus: set[str],
    everything: bool = False,
    available: dict[str, int] | None = None,
) -> int:
    """Tell the channel its figures of these skus that changed (`everything`: all of them again);
    `available`: the storefront's figures when the caller read them already (for all its channels)."""
    listed = {sku for sku in skus if channel.lists(sku)}
    if not listed:
        return 0
    told = {} if everything else deps.uow.channels.told(channel.channel_id)
    if available is None:
        available = available_for(deps, channel.storefront_id, listed)
    figures = domain.to_tell(channel, {sku: available[sku] for sku in listed}, told)
    if not figures:
        return 0
    now = deps.now()
    digest = hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()[:16]
    publication = StockPublication(channel.channel_id, figures, f"{channel.channel_id}:{now}:{digest}")
    try:
        ack = deps.marketplace(channel.partner_id).publish_stock(publication)
    except Exception as failed:  # recorded for the operator, then raised: the stream retries the batch
        _record(
            deps,
            [
                Told(channel_id=channel.channel_id, sku=s, quantity=q, told_at=now, error=str(failed)[:300])
                for s, q in figures.items()
            ],
        )
        raise
    _record(
        deps,
        [
            Told(
                channel_id=channel.channel_id, sku=sku, quantity=qty, told_at=now, acknowledged=sku in ack.acknowledged
            )
            for sku, qty in figures.items()
        ],
    )
    return len(figures)


def _record(deps: Deps, told: list[Told]) -> None:
    for start in range(0, len(told), TRANSACTION_LIMIT):
        writes: list[Write] = [SaveTold(t) for t in told[start : start + TRANSACTION_LIMIT]]
        deps.uow.add(*writes)
        deps.uow.commit()


def publish_changes(deps: Deps, skus: set[str]) -> dict[str, int]:
    """Skus whose availability changed (the stream's batch): every channel listing one hears its figure."""
    counts = {"channels": 0, "published": 0}
    every = deps.uow.channels.all()
    storefronts = {channel.storefront_id for channel in every}
    # One read of the stock per storefront, shared by all its channels.
    wanted = {sf: {sku for c in every if c.storefront_id == sf for sku in skus if c.lists(sku)} for sf in storefronts}
    available = {sf: available_for(deps, sf, listed) if listed else {} for sf, listed in wanted.items()}
    for sent in _each(every, lambda channel: publish(deps, channel, skus, available=available[channel.storefront_id])):
        counts["channels"] += bool(sent)
        counts["published"] += sent
    return counts


def _each(channels: list[Channel], tell: Callable[[Channel], int]) -> Iterator[int]:
    """`tell` every channel, one marketplace's failure keeping none of the others from hearing; the first
    failure is raised after the last channel (the stream retries the batch: the channels told already have
    nothing new to send, the failed one is told again)."""
    failures: list[Exception] = []
    for channel in channels:
        try:
            yield tell(channel)
        except Exception as failed:
            failures.append(failed)
    if failures:
        raise failures[0]


def resync(deps: Deps, channel_id: str) -> int:
    """Tell a channel every figure again: its listed skus, or (listing none) those it was told before."""
    channel = deps.uow.channels.get(channel_id)
    if channel is None:
        raise NotFound(f"no channel {channel_id}", code="channel_not_found")
    return _resync(deps, channel)


def _resync(deps: Deps, channel: Channel) -> int:
    skus = set(channel.skus) if channel.skus is not None else set(deps.uow.channels.told(channel.channel_id))
    return publish(deps, channel, skus, everything=True)


def resync_all(deps: Deps) -> dict[str, int]:
    """The schedule's full resync: whatever a lost publication left wrong is set right."""
    counts = {"channels": 0, "published": 0}
    for sent in _each(deps.uow.channels.all(), lambda channel: _resync(deps, channel)):
        counts["channels"] += 1
        counts["published"] += sent
    return counts


def order_key(channel_id: str, marketplace_order_id: str) -> str:
    return f"mkt:{channel_id}:{marketplace_order_id}"


def marketplace_order(deps: Deps, partner: Partner, data: MarketplaceOrder) -> str:
    """A marketplace's order, checked out as the storefront's would be; refused back when it cannot be."""
    channel = deps.uow.channels.get(data.channel_id)
    if channel is None or channel.partner_id != partner.partner_id:
        return f"refused: partner {partner.partner_id} has no channel {data.channel_id}"
    key = order_key(channel.channel_id, data.marketplace_order_id)
    request = CheckoutRequest.model_validate(
        {
            "customer": data.customer.model_dump(),
            "currency": data.currency,
            "lines": [line.model_dump() for line in data.lines],
            "shipping_address": data.shipping_address.model_dump(),
            "service_level": data.service_level,
            "payment": {"method": data.payment.method},
            "po_number": data.marketplace_order_id[:64],
        }
    )
    try:
        source = {
            "channel_id": channel.channel_id,
            "partner_id": channel.partner_id,
            "marketplace_order_id": data.marketplace_order_id,
        }
        result = check_out(deps, request, channel.storefront_id, key, source=source)
    except (InsufficientStock, Unprocessable) as refused:
        if isinstance(refused, Conflict) and refused.code == "order_in_flight":
            raise
        refuse(deps, channel, data.marketplace_order_id, refused.detail, refused.code)
        return f"refused: {refused.code}"
    if not result.created:
        return "duplicate"
    metrics.add_metric(name="MarketplaceOrdersAccepted", unit="Count", value=1)
    return f"order {result.order.order_id}"


def refuse(deps: Deps, channel: Channel, marketplace_order_id: str, reason: str, code: str) -> None:
    """Tell the marketplace the OMS will not serve this order (it cancels it there), once per order."""
    deps.marketplace(channel.partner_id).refuse_order(
        OrderRefusal(
            channel_id=channel.channel_id,
            marketplace_order_id=marketplace_order_id,
            reason=reason,
            code=code,
            idempotency_key=f"{order_key(channel.channel_id, marketplace_order_id)}:refused",
        )
    )
    metrics.add_metric(name="MarketplaceOrdersRefused", unit="Count", value=1)


def marketplace_cancelled(deps: Deps, partner: Partner, data: MarketplaceCancellation) -> str:
    """The marketplace cancelled its order: cancelled here as the storefront's cancel would."""
    channel = deps.uow.channels.get(data.channel_id)
    if channel is None or channel.partner_id != partner.partner_id:
        return f"refused: partner {partner.partner_id} has no channel {data.channel_id}"
    claim = deps.uow.idempotency.get(
        channel.storefront_id, order_key(data.channel_id, data.marketplace_order_id), deps.clock.now()
    )
    if claim is None:
        return f"ignored: no order for {data.marketplace_order_id} (or it is older than the 24 h its key is kept)"
    order = close(deps, claim["order_id"], "cancelled", f"cancelled on the marketplace: {data.reason or 'no reason'}")
    return f"order {order.order_id} {order.status}"
