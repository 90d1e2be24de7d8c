"""Admin routes for partners: who may send which webhooks about which locations, and their secrets.

A partner's signing secret is shown once: in the answer that creates the partner and in the answer of
each rotation. After a rotation the previous secret stays valid for 24 hours (oms.store.signing_secrets),
so the partner can switch over without a window in which its webhooks are refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field, StringConstraints

import oms.clock
from functions.api import admin_schemas as views
from functions.api.caller import admin
from functions.api.pages import page
from functions.api.routes import new_router, reply, route
from oms.clock import rfc3339
from oms.domain.errors import NotFound, Unprocessable
from oms.domain.models import ADMIN_ONLY, ShortText, Strict
from oms.domain.models import Id as IdType
from oms.domain.partners import Partner, Role
from oms.store import config as config_store
from oms.store import signing_secrets

router = new_router()

# Partners receive our requests over https only (plain http to this machine for local development).
PartnerUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https://\S+$|^http://127\.0\.0\.1[:/]\S*$")]


class PartnerIn(Strict):
    model_config = ADMIN_ONLY

    name: ShortText | None = None
    roles: Annotated[list[Role], Field(min_length=1, max_length=6)]
    location_ids: Annotated[list[IdType], Field(max_length=1000)] = Field(default_factory=list)
    url: PartnerUrl | None = None


def _known_locations(location_ids: list[str]) -> None:
    known = {loc.location_id for loc in config_store.list_locations()}
    unknown = sorted(set(location_ids) - known)
    if unknown:
        raise Unprocessable(
            f"no location {', '.join(unknown)}; create it with PUT /v1/admin/locations/<location_id> first",
            code="location_not_found",
        )


@route(
    router,
    "put_partner",
    summary="Create or change a partner: roles, locations, url (its creation answers its signing secret)",
    tags=["partners"],
    ok={201: ("Created: its signing secret, shown once", views.NewPartner), 200: ("Changed", views.Partner)},
    problems={422: ["location_not_found", "location_ids_without_location_role"]},
)
def put_partner(partner_id: IdType, body: PartnerIn) -> Response[str]:
    admin(router)
    if body.location_ids and "location" not in body.roles and "supplier" not in body.roles:
        raise Unprocessable(
            "location_ids are the locations a location or supplier partner speaks for; add that role",
            code="location_ids_without_location_role",
        )
    _known_locations(body.location_ids)
    before = config_store.get_partner(partner_id)
    stored = config_store.put_partner(
        Partner(
            partner_id=partner_id,
            name=body.name or (before.name if before else partner_id),
            roles=frozenset(body.roles),
            location_ids=frozenset(body.location_ids),
            url=body.url,
        )
    )
    _forget_cached_secrets()  # this process's adapters and webhooks see the new record at once
    if signing_secrets.exists("partners", partner_id):
        return reply(200, stored.public())
    # Its first secret, shown this once: the partner signs its webhooks with it.
    return reply(201, {**stored.public(), "secret": signing_secrets.issue("partners", partner_id, _now())})


@route(
    router,
    "get_partner",
    summary="A partner",
    tags=["partners"],
    ok={200: views.Partner},
    problems={404: ["partner_not_found"]},
)
def get_partner(partner_id: IdType) -> dict[str, Any]:
    admin(router)
    return _partner(partner_id).public()


@route(
    router,
    "list_partners",
    summary="Every partner",
    tags=["partners"],
    ok={200: views.PartnerList},
    problems={400: ["invalid_cursor"]},
)
def list_partners(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict[str, Any]:
    admin(router)
    partners, next_cursor = page(config_store.list_partners(), lambda p: p.partner_id, limit, cursor)
    return {"partners": [p.public() for p in partners], "next_cursor": next_cursor}


@route(
    router,
    "rotate_partner_secret",
    summary="A new signing secret; the old one stays valid 24 h",
    tags=["partners"],
    ok={200: views.Secret},
    problems={404: ["partner_not_found"]},
)
def rotate_partner_secret(partner_id: IdType) -> dict[str, Any]:
    admin(router)
    _partner(partner_id)
    return _rotated("partners", partner_id)


@route(
    router,
    "rotate_storefront_secret",
    summary="A new secret for the storefront's outbound webhooks; the old one stays valid 24 h",
    tags=["admin"],
    ok={200: views.Secret},
    problems={404: ["storefront_not_found"]},
)
def rotate_storefront_secret(storefront_id: IdType) -> dict[str, Any]:
    admin(router)
    if config_store.get_storefront(storefront_id) is None:
        raise NotFound(f"no storefront {storefront_id}", code="storefront_not_found")
    return _rotated("storefronts", storefront_id)


def _rotated(kind: signing_secrets.Kind, owner_id: str) -> dict[str, Any]:
    now = _now()
    had_one = signing_secrets.exists(kind, owner_id)
    secret = signing_secrets.issue(kind, owner_id, now)
    _forget_cached_secrets()
    return {
        "secret": secret,
        "previous_valid_until": rfc3339(now + signing_secrets.ROTATION_GRACE) if had_one else None,
    }


def _forget_cached_secrets() -> None:
    from oms.adapters import registry  # imported on use: the adapters load when a partner changes

    registry.clear_cache()


def _partner(partner_id: str) -> Partner:
    partner = config_store.get_partner(partner_id)
    if partner is None:
        raise NotFound(f"no partner {partner_id}", code="partner_not_found")
    return partner


def _now() -> Any:
    return oms.clock.clock.now()
