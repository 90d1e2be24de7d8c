"""Demo data for `make run`: the storefronts, keys and partners of API.md's local defaults, and PH stock."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import boto3

from local import environ
from local.runtime import LocalStack
from oms.domain.partners import Partner, Role

STOREFRONTS = {
    "sf-local": ("Local Shop (B2C)", "OMS_LOCAL_STOREFRONT_KEY", "sk_local_storefront"),
    "sf-local-2": ("Local Trade Portal (B2B)", "OMS_LOCAL_STOREFRONT_KEY_2", "sk_local_storefront_2"),
}
ADMIN = ("OMS_LOCAL_ADMIN_KEY", "sk_local_admin")
# API.md "Local defaults": each partner's roles; the location partner speaks for every seeded location.
PARTNERS: dict[str, tuple[Role, ...]] = {
    "warehouse": ("location", "supplier"),
    "carrier": ("carrier",),
    "payments": ("payments",),
    "erp": ("erp",),
}
PARTNER_SECRET = ("OMS_LOCAL_PARTNER_SECRET", "whsec_local")

LOCATIONS: dict[str, dict[str, Any]] = {
    "mnl-wh-1": {
        "name": "Manila DC",
        "type": "warehouse",
        "lat": 14.5995,
        "lon": 120.9842,
        "address": {
            "name": "Manila DC",
            "line1": "1 Port Rd",
            "city": "Manila",
            "region": "Metro Manila",
            "postal_code": "1018",
            "country": "PH",
        },
        "capabilities": {"same_day": True},
        "same_day_radius_km": 25,
        "cut_off": "14:00",
    },
    "mkt-store-1": {
        "name": "Makati Flagship Store",
        "type": "store",
        "lat": 14.5547,
        "lon": 121.0244,
        "capabilities": {"ship_from_store": True, "same_day": True},
        "same_day_radius_km": 10,
        "cut_off": "16:00",
        "capacity_per_day": 40,
    },
    "qc-showroom": {
        "name": "Quezon City Showroom",
        "type": "showroom",
        "lat": 14.6760,
        "lon": 121.0437,
        "capabilities": {"ship_from_store": True},
    },
    "ceb-wh-1": {"name": "Cebu Warehouse", "type": "warehouse", "lat": 10.3157, "lon": 123.8854},
    "dvo-3pl": {"name": "Davao 3PL", "type": "3pl", "lat": 7.1907, "lon": 125.4553},
    "ceb-workshop": {
        "name": "Cebu Furniture Workshop",
        "type": "workshop",
        "lat": 10.3240,
        "lon": 123.9060,
        "capabilities": {"made_to_order": True},
    },
}
PRODUCTS = {
    "CUSTOM-SOFA": {
        "name": "Custom sofa",
        "made_to_order": True,
        "workshop_location_id": "ceb-workshop",
        "build_instructions": "Frame in oak; fabric per line note",
    },
}
STOCK = {
    ("mnl-wh-1", "TSHIRT-RED-M"): 120,
    ("mkt-store-1", "TSHIRT-RED-M"): 15,
    ("ceb-wh-1", "TSHIRT-RED-M"): 60,
    ("mnl-wh-1", "MUG-CLASSIC"): 200,
    ("dvo-3pl", "MUG-CLASSIC"): 80,
    ("qc-showroom", "LAMP-ARC"): 4,
    ("ceb-wh-1", "LAMP-ARC"): 10,
    ("mnl-wh-1", "SNEAKER-42"): 30,
    ("mkt-store-1", "SNEAKER-42"): 6,
}


@dataclass(frozen=True)
class Credentials:
    storefront_keys: dict[str, str]
    admin_key: str
    partner_secret: str


def credentials() -> Credentials:
    return Credentials(
        storefront_keys={sf: os.environ.get(var, default) for sf, (_, var, default) in STOREFRONTS.items()},
        admin_key=os.environ.get(*ADMIN),
        partner_secret=os.environ.get(*PARTNER_SECRET),
    )


def _admin_call(stack: LocalStack, method: str, path: str, body: dict[str, Any], admin_key: str) -> None:
    assert stack.gateway is not None
    status, _, reply = stack.gateway.handle(
        method,
        path,
        [("Authorization", f"Bearer {admin_key}"), ("Content-Type", "application/json")],
        json.dumps(body).encode(),
    )
    if status >= 300:
        raise RuntimeError(f"seeding {method} {path} answered {status}: {reply.decode()[:300]}")


def seed(stack: LocalStack, creds: Credentials | None = None) -> Credentials:
    """Keys and partner secrets go straight to their stores (there is no API for the first admin key);
    storefronts, locations, products and stock go through the admin API, as an operator would (a
    storefront's PUT also gives it its API Gateway key, without which API Gateway refuses it)."""
    from oms import api_keys
    from oms.store import config as config_store

    creds = creds or credentials()
    env = stack.function_env("api")
    with environ.scoped(env):
        for storefront_id in STOREFRONTS:
            key = creds.storefront_keys[storefront_id]
            config_store.put_api_key(api_keys.key_id_of(key) or "", api_keys.hash_key(key), "storefront", storefront_id)
        config_store.put_api_key(
            api_keys.key_id_of(creds.admin_key) or "", api_keys.hash_key(creds.admin_key), "admin", None
        )
        for partner_id, roles in PARTNERS.items():
            locations = frozenset(LOCATIONS) if "location" in roles else frozenset()
            config_store.put_partner(Partner(partner_id, partner_id.title(), frozenset(roles), locations))
        config_store.clear_cache()
    prefix = stack.function_env("webhooks").get("OMS_SECRETS_PREFIX", "oms/local/")
    secrets = boto3.client("secretsmanager", region_name=stack.assembly.region)
    for partner_id in PARTNERS:
        secrets.create_secret(
            Name=f"{prefix}partners/{partner_id}", SecretString=json.dumps({"current": creds.partner_secret})
        )
    for storefront_id, (name, _, _) in STOREFRONTS.items():
        _admin_call(stack, "PUT", f"/v1/admin/storefronts/{storefront_id}", {"name": name}, creds.admin_key)
    for location_id, body in LOCATIONS.items():
        _admin_call(stack, "PUT", f"/v1/admin/locations/{location_id}", body, creds.admin_key)
    for sku, body in PRODUCTS.items():
        _admin_call(stack, "PUT", f"/v1/admin/products/{sku}", body, creds.admin_key)
    for (location_id, sku), on_hand in STOCK.items():
        _admin_call(stack, "PUT", f"/v1/admin/inventory/{location_id}/{sku}", {"on_hand": on_hand}, creds.admin_key)
    return creds
