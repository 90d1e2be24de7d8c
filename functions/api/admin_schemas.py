"""What the admin routes answer, for the OpenAPI document (built only when the document is: defer_build)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.api.schemas import Order
from oms.domain import models, supply
from oms.domain.partners import Role

_VIEW = ConfigDict(defer_build=True)
NEXT = "pass as `cursor` for the next page; null on the last page"


class Location(models.Location):
    model_config = _VIEW


class LocationList(BaseModel):
    model_config = _VIEW

    locations: list[Location]
    next_cursor: str | None = Field(default=None, description=NEXT)


class Product(models.Product):
    model_config = _VIEW


class ProductList(BaseModel):
    model_config = _VIEW

    products: list[Product]
    next_cursor: str | None = Field(default=None, description=NEXT)


class StockLevel(BaseModel):
    model_config = _VIEW

    sku: str
    location_id: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    quarantined: int = Field(default=0, description="returned damaged: kept apart, neither on hand nor for sale")
    buckets: dict[str, int] | None = Field(
        default=None, description="a hot sku spread for a sale: units ready in each bucket (part of available)"
    )


class Adjusted(StockLevel):
    adjustments: list[dict[str, Any]] = Field(description="the latest adjustments of this sku here, newest first")


class SkuStock(BaseModel):
    """One sku at every location."""

    model_config = _VIEW

    sku: str
    on_hand: int
    reserved: int
    available: int
    locations: list[StockLevel]


class LocationStock(BaseModel):
    """A page of one location's stock, by sku."""

    model_config = _VIEW

    location_id: str
    levels: list[StockLevel]
    next_cursor: str | None = Field(default=None, description=NEXT)


class Partner(BaseModel):
    model_config = _VIEW

    partner_id: str
    name: str
    roles: list[Role]
    location_ids: list[str] = Field(description="the locations a location or supplier partner speaks for")
    url: str | None = Field(description="where the OMS sends this partner's requests (https adapters)")
    created_at: str | None
    updated_at: str | None


class NewPartner(Partner):
    secret: str = Field(description="its webhook signing secret: shown once, here")


class PartnerList(BaseModel):
    model_config = _VIEW

    partners: list[Partner]
    next_cursor: str | None = Field(default=None, description=NEXT)


class Secret(BaseModel):
    model_config = _VIEW

    secret: str = Field(description="the new signing secret: shown once, here")
    previous_valid_until: str | None = Field(description="until when the previous secret is still accepted")


class Storefront(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow")

    storefront_id: str
    name: str
    webhook_url: str | None = None
    webhook_secret: str | None = Field(
        default=None, description="the outbound webhooks' signing secret: in the answer that first sets a webhook_url"
    )


class PartnerEvents(BaseModel):
    model_config = _VIEW

    applied: list[str] = Field(description="<partner_id>:<event id> of every event the order took")
    refused: list[dict[str, Any]] = Field(description="events refused as out of their partner's scope")


class AdminOrder(Order):
    """An order with its routing explanation and every partner event applied or refused."""

    partner_events_seen: PartnerEvents


class AdminOrderList(BaseModel):
    model_config = _VIEW

    orders: list[Order]
    next_cursor: str | None = Field(default=None, description=NEXT)


class DeadLetter(BaseModel):
    model_config = _VIEW

    message_id: str
    received: int = Field(description="how many times it was delivered before it was set aside")
    body: Any = Field(description="the message as it was queued (a partner event's envelope, or a bus event)")


class DeadLetters(BaseModel):
    model_config = _VIEW

    queue: Literal["partner-events", "notifications"]
    depth: int = Field(description="messages waiting in the queue (approximate, as SQS counts)")
    messages: list[DeadLetter] = Field(description="a sample of the oldest, read without removing them")


class DeadLetterQueues(BaseModel):
    model_config = _VIEW

    queues: list[DeadLetters]


class Inbound(supply.Inbound):
    """A purchase order / ASN: lines ordered and received, receipts taken, what came over or never came."""

    model_config = _VIEW


class Transfer(supply.Transfer):
    """Stock moving between two locations: reserved at the source, in transit once shipped, received."""

    model_config = _VIEW


class LevelHealth(BaseModel):
    model_config = _VIEW

    sku: str
    location_id: str
    on_hand: int
    reserved: int = Field(default=0, description="promised to orders and transfers")
    available: int
    incoming: int = Field(description="what open purchase orders still expect here")
    daily_sales: float = Field(description="units a day over 28 days, recent days weighing more")
    days_of_cover: float | None = Field(description="available / daily_sales; null when nothing sells")
    status: Literal["out", "low", "ok", "over"]
    shortage: int = Field(default=0, description="units promised to orders that the last count did not find")
    orders_short: list[str] | None = Field(default=None, description="open orders a shortage hits (sku view)")
    suggestion: dict[str, Any] | None = Field(
        description='{"type": "reorder", "quantity"} or '
        '{"type": "transfer", "from_location_id", "to_location_id", "quantity"}'
    )


class StockHealthPage(BaseModel):
    model_config = _VIEW

    levels: list[LevelHealth]
    next_cursor: str | None = Field(default=None, description=NEXT)


class Redriven(BaseModel):
    model_config = _VIEW

    queue: Literal["partner-events", "notifications"]
    moved: int = Field(description="messages moved back to their queue to be processed again")
