"""Channels (marketplaces): an operator sets a channel up and sees what each was last told of each sku."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from functions.api.caller import admin
from functions.api.routes import new_router, reply, route
from oms import bootstrap
from oms.domain.channels import Channel, ChannelIn, Told
from oms.domain.errors import NotFound, Unprocessable
from oms.domain.models import Id
from oms.services import channels
from oms.store import config as config_store

router = new_router()


class ChannelView(Channel):
    model_config = ConfigDict(defer_build=True)


class ChannelStock(BaseModel):
    model_config = ConfigDict(defer_build=True)

    channel_id: str
    skus: list[Told] = Field(description="per sku: the quantity last published, when, and whether it was acknowledged")


class ChannelList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    channels: list[ChannelView]


class Resynced(BaseModel):
    model_config = ConfigDict(defer_build=True)

    channel_id: str
    published: int = Field(description="figures sent again")


@route(
    router,
    "put_channel",
    summary="Create or replace a channel: a storefront's marketplace, its partner, a buffer and its skus",
    tags=["channels"],
    ok={201: ("Created", ChannelView), 200: ("Replaced", ChannelView)},
    problems={404: ["storefront_not_found", "partner_not_found"], 422: ["not_a_marketplace", "unknown_sku"]},
)
def put_channel(channel_id: Id, body: ChannelIn) -> Response[str]:
    admin(router)
    partner = config_store.get_partner(body.partner_id)
    if partner is None:
        raise NotFound(f"no partner {body.partner_id}", code="partner_not_found")
    if "marketplace" not in partner.roles:
        raise Unprocessable(f"partner {body.partner_id} is not a marketplace", code="not_a_marketplace")
    channel, created = channels.put_channel(bootstrap.aws(), channel_id, body)
    return reply(201 if created else 200, channel.model_dump(mode="json"))


@route(router, "list_channels", summary="Every channel, by id", tags=["channels"], ok={200: ChannelList})
def list_channels() -> dict[str, Any]:
    admin(router)
    return {"channels": [c.model_dump(mode="json") for c in bootstrap.aws().uow.channels.all()]}


@route(
    router,
    "get_channel",
    summary="A channel",
    tags=["channels"],
    ok={200: ChannelView},
    problems={404: ["channel_not_found"]},
)
def get_channel(channel_id: Id) -> dict[str, Any]:
    admin(router)
    found = bootstrap.aws().uow.channels.get(channel_id)
    if found is None:
        raise NotFound(f"no channel {channel_id}", code="channel_not_found")
    return found.model_dump(mode="json")


@route(
    router,
    "channel_stock",
    summary="What the channel was last told of each sku, when, and whether the marketplace acknowledged it",
    tags=["channels"],
    ok={200: ChannelStock},
    problems={404: ["channel_not_found"]},
)
def channel_stock(channel_id: Id) -> dict[str, Any]:
    admin(router)
    deps = bootstrap.aws()
    if deps.uow.channels.get(channel_id) is None:
        raise NotFound(f"no channel {channel_id}", code="channel_not_found")
    told = deps.uow.channels.told(channel_id)
    return {"channel_id": channel_id, "skus": [t.model_dump(mode="json") for _, t in sorted(told.items())]}


@route(
    router,
    "resync_channel",
    summary="Send the channel every figure again now (a full resync also runs on a schedule)",
    tags=["channels"],
    ok={200: Resynced},
    problems={404: ["channel_not_found"]},
)
def resync_channel(channel_id: Id) -> dict[str, Any]:
    admin(router)
    return {"channel_id": channel_id, "published": channels.resync(bootstrap.aws(), channel_id)}
