"""The unit of work on DynamoDB: the repositories over the tables, and a commit of one step's writes as
one conditional write (a single item) or one TransactWriteItems call, refusals mapped back to writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oms.clock import rfc3339
from oms.domain.backorder import Lot, Promised
from oms.domain.channels import Channel, Told
from oms.domain.health import Record as HealthRecord
from oms.domain.models import Location, Product, StockLevel
from oms.domain.orders import Order
from oms.domain.returns import Return
from oms.domain.supply import Inbound, Transfer
from oms.ports import unit_of_work as uow
from oms.ports.repositories import StorefrontConfig
from oms.store import channels as channels_store
from oms.store import config as config_store
from oms.store import health as health_store
from oms.store import inventory as stock_store
from oms.store import orders as orders_store
from oms.store import partner_events as applied_store
from oms.store import returns as returns_store
from oms.store import supply as supply_store
from oms.store.dynamo import ItemsRefused, put_batch, write_items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class DynamoOrders:
    def get(self, order_id: str, *, explained: bool = False) -> Order | None:
        return orders_store.get_order(order_id, explained=explained)

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        return orders_store.due_orders(now, limit)


class DynamoHolds:
    def get(self, hold_id: str) -> dict[str, Any] | None:
        return orders_store.get_hold(hold_id)

    def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        return orders_store.due_holds(now, limit)


class DynamoIdempotency:
    def get(self, storefront_id: str, key: str, now: datetime) -> dict[str, Any] | None:
        return orders_store.get_idempotency(storefront_id, key, now)


class DynamoStock:
    def levels(
        self, skus: Iterable[str], location_ids: Iterable[str], remembered: bool = False
    ) -> dict[tuple[str, str], StockLevel]:
        return stock_store.get_levels(skus, location_ids, remembered)

    def level(self, sku: str, location_id: str) -> StockLevel | None:
        return stock_store.get_level(sku, location_id)

    def sales_ended(self, now: str) -> list[tuple[str, str]]:
        return stock_store.sales_ended(now)


class DynamoConfig:
    """Configuration reads, through the store's 30-second per-process cache."""

    def locations(self) -> list[Location]:
        return config_store.list_locations()

    def location(self, location_id: str) -> Location | None:
        return config_store.get_location(location_id)

    def products(self, skus: Iterable[str]) -> dict[str, Product]:
        return config_store.get_products(skus)

    def storefront(self, storefront_id: str) -> StorefrontConfig | None:
        record = config_store.get_storefront(storefront_id)
        return StorefrontConfig(record.storefront_id, record.config) if record else None


class DynamoAppliedEvents:
    def seen(self, partner_id: str, event_id: str) -> bool:
        return applied_store.seen(partner_id, event_id)


class DynamoSupply:
    def inbound(self, inbound_id: str) -> Inbound | None:
        return supply_store.get_inbound(inbound_id)

    def transfer(self, transfer_id: str) -> Transfer | None:
        return supply_store.get_transfer(transfer_id)

    def incoming(self, skus: Iterable[str]) -> list[Lot]:
        return supply_store.incoming(list(skus))

    def lots(self, inbound: Inbound) -> dict[str, Lot]:
        return supply_store.lots(inbound)

    def promises(self, lot: Lot) -> list[Promised]:
        return supply_store.promises(lot)


class DynamoReturns:
    def get(self, return_id: str) -> Return | None:
        return returns_store.get(return_id)

    def of_order(self, order_id: str) -> list[Return]:
        return returns_store.of_order(order_id)

    def attention(self, limit: int = 100) -> list[Return]:
        return returns_store.attention(limit)


class DynamoChannels:
    def get(self, channel_id: str) -> Channel | None:
        return channels_store.get(channel_id)

    def all(self) -> list[Channel]:
        return channels_store.every()

    def told(self, channel_id: str) -> dict[str, Told]:
        return channels_store.told(channel_id)


class DynamoHealth:
    def get(self, sku: str, location_id: str) -> HealthRecord | None:
        return health_store.get(sku, location_id)

    def many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HealthRecord]:
        return health_store.many(keys)

    def of_sku(self, sku: str) -> list[HealthRecord]:
        return health_store.of_sku(sku)


class DynamoCredit:
    def balance(self, storefront_id: str, customer_id: str) -> int:
        return orders_store.open_balance(storefront_id, customer_id)


def items_of(write: uow.Write) -> list[TransactWriteItemTypeDef]:
    """The DynamoDB items of one write (a recomputed stock level carries its audit entry)."""
    match write:
        case uow.NewOrder(order=order):
            return [orders_store.new_order(order)]
        case uow.OrderChange(order=order, expected_version=expected):
            return [orders_store.changed_order(order, expected)]
        case uow.RoutingExplanation(order=order):
            return [orders_store.routing_explanation(order)]
        case uow.ClaimIdempotencyKey(storefront_id=sf, key=key, body_hash=body, order_id=order_id, now=now):
            return [orders_store.idempotency_record(sf, key, body, order_id, now)]
        case uow.Reservation(sku=sku, location_id=loc, delta=delta, bucket=bucket):
            return [stock_store.change_reservation(sku, loc, delta, _now(), bucket)]
        case uow.MoveToBuckets(sku=sku, location_id=loc, moves=moves, buckets=buckets, until=until):
            return stock_store.move_to_buckets(sku, loc, moves, buckets, _now(), until)
        case uow.ShipUnits(sku=sku, location_id=loc, quantity=qty, released=released, purpose=purpose):
            return [stock_store.ship_units(sku, loc, qty, _now(), released, purpose)]
        case uow.CountShipment(location_id=loc, day=day, limit=limit):
            return [stock_store.count_shipment(loc, day, limit)]
        case uow.SetStockLevel(level=level, reserved_seen=seen, audit=audit, actor=actor, at=at):
            return [
                stock_store.set_level(level, seen, at),
                stock_store.audit_entry(level.sku, level.location_id, audit, actor, at),
            ]
        case uow.NewHold(hold=hold):
            return [orders_store.new_hold(hold)]
        case uow.EndHold(hold_id=hold_id, storefront_id=sf, status=status, now=now, unexpired=unexpired):
            return [orders_store.end_hold(hold_id, sf, status, now, unexpired)]
        case uow.MarkEventApplied(partner_id=partner, event_id=event_id, event_type=kind, at=at):
            return [applied_store.marker(partner, event_id, kind, at)]
        case uow.OpenBalance(storefront_id=sf, customer_id=customer, delta=delta, limit=limit):
            return [orders_store.move_open_balance(sf, customer, delta, limit)]
        case uow.ReceiveUnits(
            sku=sku, location_id=loc, quantity=qty, audit=audit, actor=actor, at=at, reserve=reserve, quarantine=bad
        ):
            return [
                stock_store.receive_units(sku, loc, qty, at, reserve, bad),
                stock_store.audit_entry(sku, loc, audit, actor, at),
            ]
        case uow.SaveInbound(inbound=inbound, expected_version=expected, lots=lots, settled=settled, previous=before):
            return supply_store.save_inbound(inbound, expected, lots, settled, before)
        case uow.SaveReturn(ret=ret, expected_version=expected):
            return [returns_store.save(ret, expected)]
        case uow.SaveChannel(channel=channel):
            return [channels_store.save_channel(channel)]
        case uow.SaveTold(told=told):
            return [channels_store.save_told(told)]
        case uow.PromiseUnits(promised=promised):
            return supply_store.promise_units(promised)
        case uow.ServePromise(promised=promised):
            return [supply_store.serve_promise(promised)]
        case uow.DropPromise(promised=promised):
            return supply_store.drop_promise(promised)
        case uow.SaveTransfer(transfer=transfer, expected_version=expected):
            return supply_store.save_transfer(transfer, expected)
        case uow.SaveHealth(record=record, expected_version=expected):
            return [health_store.save(record, expected)]
    raise TypeError(f"no DynamoDB items for {type(write).__name__}")


def _now() -> str:
    from oms.clock import clock

    return rfc3339(clock.now())


class DynamoUnitOfWork(uow.GatheringUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.orders = DynamoOrders()
        self.holds = DynamoHolds()
        self.idempotency = DynamoIdempotency()
        self.stock = DynamoStock()
        self.config = DynamoConfig()
        self.applied_events = DynamoAppliedEvents()
        self.credit = DynamoCredit()
        self.supply = DynamoSupply()
        self.health = DynamoHealth()
        self.returns = DynamoReturns()
        self.channels = DynamoChannels()

    def _commit(self, writes: list[uow.Write]) -> None:
        items: list[TransactWriteItemTypeDef] = []
        owner: list[uow.Write] = []  # the write each item belongs to, to name refusals by write
        for write in writes:
            for item in items_of(write):
                items.append(item)
                owner.append(write)
        if len(items) > 1 and all(w.independent for w in writes):
            put_batch(items)  # records that stand alone: no transaction needed, half its price
            return
        try:
            write_items(items)
        except ItemsRefused as refused:
            named: list[uow.Write] = []
            for i in sorted(refused.failed):
                if not any(owner[i] is w for w in named):  # by identity: writes may hold unhashable orders
                    named.append(owner[i])
            raise uow.CommitRefused(named, refused.conflict) from refused
        for write in writes:
            if isinstance(write, uow.OrderChange):
                write.order.version = write.expected_version + 1
            elif isinstance(write, uow.SaveReturn):
                write.ret.version = write.expected_version + 1
