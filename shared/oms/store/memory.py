"""The unit of work in memory: the same guards as DynamoDB's, checked and applied under one lock.

For tests of services without moto, and as the reference of what each write's guard means. Reads
return copies (as a database read would), so a service changing what it read changes nothing stored.
`intercept` lets a test act at a commit: run a racing step first, or fail before or after it lands.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from oms.clock import rfc3339
from oms.domain.channels import Channel, Told
from oms.domain.health import Record as HealthRecord
from oms.domain.models import Location, Product, StockLevel
from oms.domain.orders import Order
from oms.domain.returns import Return
from oms.ports import unit_of_work as uow
from oms.ports.repositories import StorefrontConfig
from oms.store.memory_buckets import BucketTables, bucket_allowed, bucket_apply, bucket_item
from oms.store.memory_sales import MemoryChannels, MemoryReturns
from oms.store.memory_supply import MemorySupply, SupplyTables, supply_allowed, supply_apply, supply_item

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
Moment = Literal["before", "after"]
Interceptor = Callable[[Sequence[uow.Write], Moment], None]


@dataclass
class StockRecord:
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0
    quarantined: int = 0

    @property
    def available(self) -> int:  # as stored: may be negative, unlike StockLevel.available
        return self.on_hand - self.reserved - self.safety_stock


@dataclass
class MemoryStore(SupplyTables, BucketTables):
    """Every table's contents. One store is one database; units of work over it are its sessions."""

    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # the order as stored, with its version
    routing: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    holds: dict[str, dict[str, Any]] = field(default_factory=dict)
    stock: dict[tuple[str, str], StockRecord] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    capacity: dict[tuple[str, str], int] = field(default_factory=dict)
    applied: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    credit: dict[tuple[str, str], int] = field(default_factory=dict)  # (storefront, customer) -> open balance
    health: dict[tuple[str, str], HealthRecord] = field(default_factory=dict)
    returns: dict[str, Return] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    told: dict[tuple[str, str], Told] = field(default_factory=dict)  # (channel, sku)
    locations: dict[str, Location] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    storefronts: dict[str, dict[str, Any]] = field(default_factory=dict)
    commits: int = 0
    intercept: Interceptor | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def put_stock(self, sku: str, location_id: str, on_hand: int, safety_stock: int = 0) -> None:
        record = self.stock.setdefault((sku, location_id), StockRecord())
        record.on_hand, record.safety_stock = on_hand, safety_stock

    def level(self, sku: str, location_id: str) -> StockLevel | None:
        record = self.stock.get((sku, location_id))
        if record is None:
            return None
        return StockLevel(
            sku=sku,
            location_id=location_id,
            on_hand=record.on_hand,
            reserved=record.reserved,
            safety_stock=record.safety_stock,
            quarantined=record.quarantined,
        )

    def order(self, order_id: str) -> Order | None:
        stored = self.orders.get(order_id)
        return Order.model_validate(copy.deepcopy(stored)) if stored else None


class _Orders:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def get(self, order_id: str, *, explained: bool = False) -> Order | None:
        with self._store.lock:
            order = self._store.order(order_id)
            if order is not None and explained:
                order.routing = copy.deepcopy(self._store.routing.get(order_id, {}))
            return order

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        with self._store.lock:
            due = [(at, oid) for oid in self._store.orders if (at := self._deadline(oid)) and at <= rfc3339(now)]
        return [oid for _, oid in sorted(due)[:limit]]

    def _deadline(self, order_id: str) -> str | None:
        order = self._store.order(order_id)
        found = [at for at in (order.next_deadline(), order.renew_at()) if at] if order else []
        return min(found) if found else None


class _Holds:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def get(self, hold_id: str) -> dict[str, Any] | None:
        with self._store.lock:
            return copy.deepcopy(self._store.holds.get(hold_id))

    def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        with self._store.lock:
            due = [
                copy.deepcopy(h)
                for h in self._store.holds.values()
                if h["status"] == "active" and h["expires_at"] <= rfc3339(now)
            ]
        return sorted(due, key=lambda h: h["expires_at"])[:limit]


class _Idempotency:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def get(self, storefront_id: str, key: str, now: datetime) -> dict[str, Any] | None:
        with self._store.lock:
            record = self._store.idempotency.get((storefront_id, key))
        if record is None or record["expires_at_epoch"] < int(now.timestamp()):
            return None
        return dict(record)


class _Stock:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def levels(
        self, skus: Iterable[str], location_ids: Iterable[str], remembered: bool = False
    ) -> dict[tuple[str, str], StockLevel]:
        with self._store.lock:  # one store: nothing to remember
            pairs = [(sku, loc) for sku in set(skus) for loc in set(location_ids)]
            found = (self._store.level(*pair) for pair in pairs)
            return {(lv.sku, lv.location_id): self._store.merged_level(lv) for lv in found if lv is not None}

    def level(self, sku: str, location_id: str) -> StockLevel | None:
        with self._store.lock:
            return self._store.level(sku, location_id)

    def sales_ended(self, now: str) -> list[tuple[str, str]]:
        with self._store.lock:
            return self._store.sales_ended(now)


class _Config:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def locations(self) -> list[Location]:
        return [self._store.locations[k].model_copy(deep=True) for k in sorted(self._store.locations)]

    def location(self, location_id: str) -> Location | None:
        found = self._store.locations.get(location_id)
        return found.model_copy(deep=True) if found else None

    def products(self, skus: Iterable[str]) -> dict[str, Product]:
        return {sku: self._store.products[sku] for sku in set(skus) if sku in self._store.products}

    def storefront(self, storefront_id: str) -> StorefrontConfig | None:
        config = self._store.storefronts.get(storefront_id)
        return StorefrontConfig(storefront_id, copy.deepcopy(config)) if config is not None else None


class _Applied:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def seen(self, partner_id: str, event_id: str) -> bool:
        return (partner_id, event_id) in self._store.applied


class _Credit:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def balance(self, storefront_id: str, customer_id: str) -> int:
        with self._store.lock:
            return self._store.credit.get((storefront_id, customer_id), 0)


class _Health:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def get(self, sku: str, location_id: str) -> HealthRecord | None:
        with self._store.lock:
            found = self._store.health.get((sku, location_id))
            return found.model_copy(deep=True) if found else None

    def many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HealthRecord]:
        with self._store.lock:
            return {key: self._store.health[key].model_copy(deep=True) for key in keys if key in self._store.health}

    def of_sku(self, sku: str) -> list[HealthRecord]:
        with self._store.lock:
            return [r.model_copy(deep=True) for (s, _), r in sorted(self._store.health.items()) if s == sku]


class MemoryUnitOfWork(uow.GatheringUnitOfWork):
    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self.store = store
        self.orders = _Orders(store)
        self.holds = _Holds(store)
        self.idempotency = _Idempotency(store)
        self.stock = _Stock(store)
        self.config = _Config(store)
        self.applied_events = _Applied(store)
        self.credit = _Credit(store)
        self.supply = MemorySupply(store, store.lock)
        self.returns = MemoryReturns(store.returns, store.lock)
        self.channels = MemoryChannels(store.channels, store.told, store.lock)
        self.health = _Health(store)

    def _commit(self, writes: list[uow.Write]) -> None:
        store = self.store
        if store.intercept:
            store.intercept(writes, "before")  # outside the lock: a racing step commits on its own
        with store.lock:
            _one_write_per_item(writes)
            refused = [w for w in writes if not _allowed(store, w)]
            if refused:
                raise uow.CommitRefused(refused)
            for write in writes:
                _apply(store, write)
            store.commits += 1
        if store.intercept:
            store.intercept(writes, "after")


def _item_of(write: uow.Write) -> tuple[str, ...]:
    if (supplied := supply_item(write) or bucket_item(write)) is not None:
        return supplied
    match write:
        case uow.NewOrder(order=order) | uow.OrderChange(order=order):
            return ("order", order.order_id)
        case uow.RoutingExplanation(order=order):
            return ("routing", order.order_id)
        case uow.Reservation(sku=sku, location_id=loc) | uow.ShipUnits(sku=sku, location_id=loc):
            return ("stock", sku, loc)
        case uow.SetStockLevel(level=level):
            return ("stock", level.sku, level.location_id)
        case uow.CountShipment(location_id=loc, day=day):
            return ("capacity", loc, day)
        case uow.NewHold(hold=hold):
            return ("hold", hold["hold_id"])
        case uow.EndHold(hold_id=hold_id):
            return ("hold", hold_id)
        case uow.ClaimIdempotencyKey(storefront_id=sf, key=key):
            return ("idempotency", sf, key)
        case uow.MarkEventApplied(partner_id=partner, event_id=event_id):
            return ("applied", partner, event_id)
        case uow.OpenBalance(storefront_id=sf, customer_id=customer):
            return ("credit", sf, customer)
        case uow.ReceiveUnits(sku=sku, location_id=loc):
            return ("stock", sku, loc)
        case uow.SaveReturn(ret=ret):
            return ("return", ret.return_id)
        case uow.SaveChannel(channel=channel):
            return ("channel", channel.channel_id)
        case uow.SaveTold(told=told):
            return ("told", told.channel_id, told.sku)
        case uow.SaveHealth(record=record):
            return ("health", record.sku, record.location_id)
    raise TypeError(f"unknown write {type(write).__name__}")


def _one_write_per_item(writes: Sequence[uow.Write]) -> None:
    items = [_item_of(w) for w in writes]
    if len(set(items)) != len(items):
        # DynamoDB refuses a transaction that touches one item twice (ValidationException): so do we.
        raise ValueError(f"a commit touches one item more than once: {sorted(items)}")


def _allowed(store: MemoryStore, write: uow.Write) -> bool:
    if (allowed := supply_allowed(store, write)) is not None or (allowed := bucket_allowed(store, write)) is not None:
        return allowed
    match write:
        case uow.NewOrder(order=order):
            return order.order_id not in store.orders
        case uow.OrderChange(order=order, expected_version=expected):
            stored = store.orders.get(order.order_id)
            return stored is not None and stored["version"] == expected
        case uow.ClaimIdempotencyKey(storefront_id=sf, key=key, now=now):
            claim = store.idempotency.get((sf, key))
            return claim is None or claim["expires_at_epoch"] < int(now.timestamp())
        case uow.Reservation(sku=sku, location_id=loc, delta=delta):
            record = store.stock.get((sku, loc))
            if record is None:
                return False
            return record.available >= delta if delta > 0 else record.reserved >= -delta
        case uow.ShipUnits(sku=sku, location_id=loc, quantity=qty, released=released):
            record = store.stock.get((sku, loc))
            return record is not None and record.reserved >= qty + released
        case uow.CountShipment(location_id=loc, day=day, limit=limit):
            return store.capacity.get((loc, day), 0) < limit
        case uow.SetStockLevel(level=level, reserved_seen=seen):
            record = store.stock.get((level.sku, level.location_id))
            return record is None or record.reserved == seen
        case uow.NewHold(hold=hold):
            return hold["hold_id"] not in store.holds
        case uow.EndHold(hold_id=hold_id, storefront_id=sf, now=now, unexpired=unexpired):
            found = store.holds.get(hold_id)
            return (
                found is not None
                and found["status"] == "active"
                and (sf is None or found["storefront_id"] == sf)
                and (not unexpired or found["expires_at"] > rfc3339(now))
            )
        case uow.MarkEventApplied(partner_id=partner, event_id=event_id):
            return (partner, event_id) not in store.applied
        case uow.OpenBalance(storefront_id=sf, customer_id=customer, delta=delta, limit=limit):
            return delta <= 0 or store.credit.get((sf, customer), 0) + delta <= limit
        case uow.SaveReturn(ret=ret, expected_version=expected):
            current_return = store.returns.get(ret.return_id)
            return (current_return.version if current_return else 0) == expected
        case uow.SaveHealth(record=record, expected_version=expected):
            current_health = store.health.get((record.sku, record.location_id))
            return (current_health.version if current_health else 0) == expected
    return True  # RoutingExplanation: unconditional


def _apply(store: MemoryStore, write: uow.Write) -> None:
    if supply_apply(store, write) or bucket_apply(store, write):
        return
    match write:
        case uow.NewOrder(order=order):
            store.orders[order.order_id] = {**order.stored(), "status": order.status, "version": order.version}
        case uow.OrderChange(order=order, expected_version=expected):
            store.orders[order.order_id] = {**order.stored(), "status": order.status, "version": expected + 1}
            order.version = expected + 1
        case uow.RoutingExplanation(order=order):
            store.routing[order.order_id] = copy.deepcopy(order.routing)
        case uow.ClaimIdempotencyKey(storefront_id=sf, key=key, body_hash=body, order_id=order_id, now=now):
            store.idempotency[(sf, key)] = {
                "body_hash": body,
                "order_id": order_id,
                "expires_at_epoch": int(now.timestamp()) + IDEMPOTENCY_TTL_SECONDS,
            }
        case uow.Reservation(sku=sku, location_id=loc, delta=delta):
            store.stock[(sku, loc)].reserved += delta
        case uow.ShipUnits(sku=sku, location_id=loc, quantity=qty, released=released):
            record = store.stock[(sku, loc)]
            record.on_hand -= qty
            record.reserved -= qty + released
        case uow.CountShipment(location_id=loc, day=day):
            store.capacity[(loc, day)] = store.capacity.get((loc, day), 0) + 1
        case uow.SetStockLevel(level=level, audit=audit, actor=actor, at=at):
            record = store.stock.setdefault((level.sku, level.location_id), StockRecord())
            record.on_hand, record.safety_stock = level.on_hand, level.safety_stock
            store.audit.append({"sku": level.sku, "location_id": level.location_id, "actor": actor, "at": at, **audit})
        case uow.NewHold(hold=hold):
            store.holds[hold["hold_id"]] = copy.deepcopy(hold)
        case uow.EndHold(hold_id=hold_id, status=status, now=now):
            store.holds[hold_id].update(status=status, ended_at=rfc3339(now))
        case uow.MarkEventApplied(partner_id=partner, event_id=event_id, event_type=kind, at=at):
            store.applied[(partner, event_id)] = {"type": kind, "applied_at": at}
        case uow.OpenBalance(storefront_id=sf, customer_id=customer, delta=delta):
            store.credit[(sf, customer)] = store.credit.get((sf, customer), 0) + delta
        case uow.ReceiveUnits(sku=sku, location_id=loc, quantity=qty, audit=audit, actor=actor, at=at, reserve=reserve):
            received = store.stock.setdefault((sku, loc), StockRecord())
            received.on_hand += qty
            received.reserved += reserve
            received.quarantined += write.quarantine
            store.audit.append({"sku": sku, "location_id": loc, "actor": actor, "at": at, **audit})
        case uow.SaveChannel(channel=channel):
            store.channels[channel.channel_id] = channel.model_copy(deep=True)
        case uow.SaveTold(told=told):
            store.told[(told.channel_id, told.sku)] = told.model_copy()
        case uow.SaveReturn(ret=ret, expected_version=expected):
            store.returns[ret.return_id] = ret.model_copy(deep=True, update={"version": expected + 1})
            ret.version = expected + 1
        case uow.SaveHealth(record=record, expected_version=expected):
            store.health[(record.sku, record.location_id)] = record.model_copy(
                deep=True, update={"version": expected + 1}
            )
            record.version = expected + 1
