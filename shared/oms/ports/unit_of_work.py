"""The store as services see it: repositories to read, typed writes to gather, one commit per step.

A write says what it changes and which business rule guards it; the store turns the writes of one
commit into one conditional write or one transaction. When a guard refuses, the commit raises
`CommitRefused` holding the very writes that were refused, so a service asks "which stock line?",
"which location's capacity?", "was it the order's version?" by type, never by parsing a label.
Two stores implement this port: DynamoDB (`oms.store`) and memory (`oms.store.memory`, for tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar

from oms.domain.models import StockLevel
from oms.domain.orders import Order
from oms.ports.repositories import (
    AppliedEvents,
    ChannelRepository,
    ConfigRepository,
    CreditAccounts,
    HealthRepository,
    HoldRepository,
    IdempotencyRepository,
    OrderRepository,
    ReturnRepository,
    StockRepository,
    SupplyRepository,
)

if TYPE_CHECKING:  # annotations only: the api's cold start does not load what its checkout never uses
    from oms.domain.backorder import Lot, Promised
    from oms.domain.channels import Channel, Told
    from oms.domain.health import Record as HealthRecord
    from oms.domain.returns import Return
    from oms.domain.supply import Inbound, Transfer

W = TypeVar("W", bound="Write")


class Write:
    """One change of a commit. Subclasses are frozen dataclasses; their fields say what changes."""

    # A refusal of this write means what the step read has moved: a step decides again on a fresh read.
    reread: ClassVar[bool] = False
    # An unguarded record that stands alone: a commit of such writes only may land them one by one (a
    # store writes them as a batch at a plain write's price), since none depends on another.
    independent: ClassVar[bool] = False


@dataclass(frozen=True)
class NewOrder(Write):
    """Guard: no order with this id exists."""

    order: Order


@dataclass(frozen=True)
class OrderChange(Write):
    """The order as changed by a step. Guard: nobody saved it since it was read (its version)."""

    order: Order
    expected_version: int


@dataclass(frozen=True)
class RoutingExplanation(Write):
    """Why the order ships from where it does: written once, beside the order."""

    order: Order


@dataclass(frozen=True)
class ClaimIdempotencyKey(Write):
    """Guard: the storefront's key is unclaimed (or its claim expired)."""

    storefront_id: str
    key: str
    body_hash: str
    order_id: str
    now: datetime


@dataclass(frozen=True)
class Reservation(Write):
    """Reserve (delta > 0; guard: that many available) or release (delta < 0; guard: that many reserved).
    `bucket`: reserve from that bucket of a hot sku instead (oms.domain.buckets; guard: its units)."""

    sku: str
    location_id: str
    delta: int
    bucket: int | None = None


@dataclass(frozen=True)
class MoveToBuckets(Write):
    """Units between a stock record and its buckets (oms.domain.buckets.spread): `moves` per bucket,
    negative back to the record; the record then has `buckets` buckets. Guards: the record has what it
    lends (available) or takes back (reserved), each bucket what it gives back."""

    sku: str
    location_id: str
    moves: dict[int, int]
    buckets: int
    until: str | None = None  # the sale's end: the sweeper merges the buckets back then (None: an operator does)


@dataclass(frozen=True)
class ShipUnits(Write):
    """Reserved units leave the building: on hand and reserved fall together; `released` more reserved
    units (reserved but not sent) go back to available. Guard: quantity + released are reserved."""

    sku: str
    location_id: str
    quantity: int
    released: int = 0
    purpose: Literal["sale", "transfer"] = "sale"  # stock health counts sales only


@dataclass(frozen=True)
class CountShipment(Write):
    """One more shipment for the location on its local `day`. Guard: fewer than `limit` counted."""

    location_id: str
    day: str
    limit: int


@dataclass(frozen=True)
class SetStockLevel(Write):
    """A stock level recomputed from the one read (`reserved_seen`), with its audit entry.

    Guard: `reserved` is still what was read (reservations move it without reading)."""

    level: StockLevel
    reserved_seen: int
    audit: dict[str, Any]
    actor: str
    at: str


@dataclass(frozen=True)
class NewHold(Write):
    """Guard: no hold with this id exists."""

    hold: dict[str, Any]


@dataclass(frozen=True)
class EndHold(Write):
    """An active hold becomes `status` (released, expired, converted).

    Guard: it is active, of `storefront_id` when given, and unexpired at `now` when `unexpired`."""

    hold_id: str
    storefront_id: str | None
    status: str
    now: datetime
    unexpired: bool = False


@dataclass(frozen=True)
class ReceiveUnits(Write):
    """Units arrive at a location (a receipt, a transfer): on hand and available grow; the record is
    created if the location never held the sku. Unguarded: goods that arrived are there."""

    sku: str
    location_id: str
    quantity: int
    audit: dict[str, Any]
    actor: str
    at: str
    reserve: int = 0  # how far `reserved` moves with them: backorders served (and units held for them)
    quarantine: int = 0  # damaged units come back with them: counted apart, neither on hand nor for sale


@dataclass(frozen=True)
class SaveInbound(Write):
    """An inbound as changed, with its lots (what it still expects per sku, oms.domain.backorder).

    `lots` are the lots as read (`promised` and `held` are kept unless `settled` says otherwise; a sku
    without a lot is new). Guards: the document's version is still `expected_version` (0: it does not
    exist yet), and no checkout promised units of its lots since they were read. `previous`: the
    document as read, so that lots it no longer has (a line removed, the location changed) go."""

    inbound: Inbound
    expected_version: int
    lots: Mapping[str, Lot] = field(default_factory=dict)
    settled: Mapping[str, Lot] = field(default_factory=dict)
    previous: Inbound | None = None


@dataclass(frozen=True)
class SaveReturn(Write):
    """A return (RMA) as changed, beside its order. Guard: its version is still `expected_version`
    (0: it does not exist yet)."""

    ret: Return
    expected_version: int


@dataclass(frozen=True)
class SaveChannel(Write):
    """A channel's configuration, as put by an operator. Unguarded: the last put wins."""

    channel: Channel


@dataclass(frozen=True)
class SaveTold(Write):
    """What a channel was last told of a sku. Unguarded: publications of one channel run one at a time."""

    independent: ClassVar[bool] = True  # a record missing is told again (the next change, the resync)
    told: Told


@dataclass(frozen=True)
class PromiseUnits(Write):
    """Backordered units promised against a lot. Guard: that many of the lot are unpromised."""

    promised: Promised


@dataclass(frozen=True)
class ServePromise(Write):
    """A receipt served a promise whole (its units are reserved by the same commit's ReceiveUnits).
    Guard: the promise exists, unserved."""

    promised: Promised


@dataclass(frozen=True)
class DropPromise(Write):
    """A promise ends: handed to its shipment once served (its units stay reserved, for the shipment),
    or given back unserved (the lot's units are unpromised again). Guard: it exists and is served or
    not as `promised.served` says; refused, a receipt moved it since it was read: decide again."""

    promised: Promised
    reread = True


@dataclass(frozen=True)
class SaveTransfer(Write):
    """A transfer as changed. Guard: its version is still `expected_version` (0: it does not exist yet)."""

    transfer: Transfer
    expected_version: int


@dataclass(frozen=True)
class SaveHealth(Write):
    """A (sku, location)'s health record as changed. Guard: its version is still `expected_version`."""

    record: HealthRecord
    expected_version: int


@dataclass(frozen=True)
class OpenBalance(Write):
    """A net-terms customer's open balance moves by `delta` (oms.domain.credit).

    Guard when it grows: the balance stays within `limit`. (It shrinks unguarded: only an order change
    that gives credit back, committed with it once, shrinks it.)"""

    storefront_id: str
    customer_id: str
    delta: int
    limit: int = 0


@dataclass(frozen=True)
class MarkEventApplied(Write):
    """A partner event's receipt beside a change that touches no order. Guard: not applied before."""

    partner_id: str
    event_id: str
    event_type: str
    at: str


class CommitRefused(Exception):
    """A guard refused (`refused` holds those writes) or the commit collided with another (`conflict`)."""

    def __init__(self, refused: Sequence[Write] = (), conflict: bool = False) -> None:
        kinds = sorted({type(w).__name__ for w in refused})
        super().__init__(f"commit refused: {kinds or 'nothing'} refused, conflict={conflict}")
        self.refused = tuple(refused)
        self.conflict = conflict

    def of(self, kind: type[W]) -> list[W]:
        """The refused writes of one kind."""
        return [w for w in self.refused if isinstance(w, kind)]

    def only(self, *kinds: type[Write]) -> bool:
        """Whether every refused write is of these kinds (and at least one was refused)."""
        return bool(self.refused) and all(isinstance(w, kinds) for w in self.refused)


class UnitOfWork(Protocol):
    """The reads of one step and its writes, committed together."""

    @property
    def orders(self) -> OrderRepository: ...
    @property
    def holds(self) -> HoldRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def stock(self) -> StockRepository: ...
    @property
    def config(self) -> ConfigRepository: ...
    @property
    def applied_events(self) -> AppliedEvents: ...
    @property
    def credit(self) -> CreditAccounts: ...
    @property
    def supply(self) -> SupplyRepository: ...
    @property
    def health(self) -> HealthRepository: ...
    @property
    def returns(self) -> ReturnRepository: ...
    @property
    def channels(self) -> ChannelRepository: ...

    def add(self, *writes: Write) -> None:
        """Gather writes for the next commit."""

    def commit(self) -> None:
        """All gathered writes or none; raises CommitRefused. The gathered list is empty afterwards,
        and a committed OrderChange has moved its order to the next version."""

    def rollback(self) -> None:
        """Drop the gathered writes."""


class GatheringUnitOfWork:
    """What every store's unit of work shares: writes gathered, then handed to `_commit` all at once."""

    def __init__(self) -> None:
        self._pending: list[Write] = []

    def add(self, *writes: Write) -> None:
        self._pending.extend(writes)

    def rollback(self) -> None:
        self._pending.clear()

    def commit(self) -> None:
        writes, self._pending = self._pending, []
        if writes:
            self._commit(writes)

    def _commit(self, writes: list[Write]) -> None:
        raise NotImplementedError
