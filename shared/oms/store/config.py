"""The config table: locations, products, storefronts, hashed API keys and partners."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

import oms.clock
from oms import aws
from oms.clock import rfc3339
from oms.domain.errors import NotFound
from oms.domain.models import Location, Product
from oms.domain.partners import ROLES, Partner
from oms.settings import settings
from oms.store import Item, TtlCache, from_item, to_item
from oms.store.dynamo import batch_get, query_all

M = TypeVar("M", bound=BaseModel)
Role = Literal["storefront", "admin"]
KeyStatus = Literal["active", "revoked"]

LOCATION, PRODUCT, STOREFRONT, APIKEY, PARTNER = "LOCATION", "PRODUCT", "STOREFRONT", "APIKEY", "PARTNER"

# The authorizer runs on every API request and checkout reads every location; both would otherwise
# pay a DynamoDB read per request for data that changes a few times a day. Entries live 30 s per
# Lambda container, so a config change (a revoked key, a paused location) takes effect everywhere
# within that time; writes through this module drop the entry at once in their own process.
CACHE_TTL_SECONDS = 30.0
_cache: TtlCache[Any] = TtlCache(CACHE_TTL_SECONDS)
_MISSING = TtlCache.MISSING


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    key_id: str
    key_hash: str
    role: Role
    storefront_id: str | None
    status: KeyStatus

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class UsageKey:
    """A storefront's API Gateway API key: what API Gateway throttles it by (its usage plan's limits).

    The authorizer hands its value to API Gateway as the usageIdentifierKey; no client ever sends or
    sees it (the API reads keys from the authorizer, not from an x-api-key header), so it is no secret.
    """

    key_id: str
    value: str


@dataclass(frozen=True, slots=True)
class StorefrontRecord:
    storefront_id: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    usage_key: UsageKey | None = None


def clear_cache() -> None:
    """Forget every cached read (tests, and the local runtime after it seeds the tables): the configuration's
    and the remembered records of skus on sale (oms.store.hot_stock)."""
    from oms.store import hot_stock  # a sibling cache, cleared with this one

    _cache.clear()
    hot_stock.clear()


# -- locations -------------------------------------------------------------------------------------


def put_location(location: Location) -> None:
    _put(LOCATION, location.location_id, location.model_dump(mode="json"))
    _cache.forget(_cache_key(LOCATION, "*"))


def get_location(location_id: str) -> Location | None:
    data = _get(LOCATION, location_id)
    return _location(data) if data else None


def list_locations() -> list[Location]:
    """Every location, ordered by id (cached for CACHE_TTL_SECONDS)."""
    cached: list[Location] | None = _cache.get_or_load(_cache_key(LOCATION, "*"), _query_locations)
    return [location.model_copy(deep=True) for location in cached or []]  # callers may not edit the cache


def _query_locations() -> list[Location]:
    return [_location(data) for data in _query_all(LOCATION)]


def _query_all(pk: str) -> list[dict[str, Any]]:
    """Every item of one kind (one partition of the config table), ordered by id."""
    return query_all(
        TableName=_table(), KeyConditionExpression="pk = :pk", ExpressionAttributeValues=to_item({":pk": pk})
    )


def _location(data: dict[str, Any]) -> Location:
    return _model(Location, data)


# -- products --------------------------------------------------------------------------------------


def put_product(product: Product) -> None:
    _put(PRODUCT, product.sku, product.model_dump(mode="json"))
    _cache.forget(_cache_key(PRODUCT, product.sku))


def get_products(skus: Iterable[str]) -> dict[str, Product]:
    """The product records of these skus; a sku without one is absent (an ordinary stocked item).

    Cached per sku for CACHE_TTL_SECONDS, misses included: every checkout asks, and product attributes
    that change routing change rarely (a change takes effect within the TTL).
    """
    wanted = sorted({sku for sku in skus if sku})
    products: dict[str, Product] = {}
    missing = []
    for sku in wanted:
        hit = _cache.peek(_cache_key(PRODUCT, sku))
        if hit is _MISSING:
            missing.append(sku)
        elif hit is not None:
            products[sku] = hit
    if missing:
        found: dict[str, Product] = {}
        for item in batch_get(_table(), [_key(PRODUCT, sku) for sku in missing]):
            data = from_item(item)
            found[data["sku"]] = Product.model_validate({k: v for k, v in data.items() if k in Product.model_fields})
        for sku in missing:
            _cache.put(_cache_key(PRODUCT, sku), found.get(sku))
        products.update(found)
    return products


# -- storefronts -----------------------------------------------------------------------------------


def put_storefront(
    storefront_id: str, name: str, config: dict[str, Any], usage_key: UsageKey | None = None
) -> StorefrontRecord:
    """Create or replace the storefront's name and config; returns the stored record.

    Its usage key is never replaced: `usage_key` is stored only if the storefront has none yet, so a
    re-PUT (or two racing first PUTs) keeps the one key API Gateway already throttles it by.
    """
    names = {"#name": "name", "#config": "config"}
    values: dict[str, Any] = {":id": storefront_id, ":name": name, ":config": config}
    update = "SET storefront_id = :id, #name = :name, #config = :config"
    if usage_key is not None:
        update += ", usage_key = if_not_exists(usage_key, :usage_key)"
        values[":usage_key"] = {"key_id": usage_key.key_id, "value": usage_key.value}
    try:
        answer = aws.dynamodb().update_item(
            TableName=_table(),
            Key=_key(STOREFRONT, storefront_id),
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
            ReturnValues="ALL_NEW",
        )
    finally:
        _cache.forget(_cache_key(STOREFRONT, storefront_id))
    return _storefront(storefront_id, from_item(answer["Attributes"]))


def get_storefront(storefront_id: str) -> StorefrontRecord | None:
    """The storefront's record (cached for CACHE_TTL_SECONDS: every checkout reads its routing rules);
    None for no storefront ("": the OMS's own work, such as supply, which belongs to none)."""
    if not storefront_id:
        return None
    record: StorefrontRecord | None = _cache.get_or_load(
        _cache_key(STOREFRONT, storefront_id), lambda: _load_storefront(storefront_id)
    )
    return record


def load_storefront(storefront_id: str) -> StorefrontRecord | None:
    """The storefront's record as stored now (a consistent read, no cache): for changing it."""
    data = _get(STOREFRONT, storefront_id, consistent=True)
    return _storefront(storefront_id, data) if data else None


def _load_storefront(storefront_id: str) -> StorefrontRecord | None:
    data = _get(STOREFRONT, storefront_id)
    return _storefront(storefront_id, data) if data else None


def _storefront(storefront_id: str, data: dict[str, Any]) -> StorefrontRecord:
    usage = data.get("usage_key") or {}
    return StorefrontRecord(
        storefront_id=storefront_id,
        name=data.get("name", ""),
        config=data.get("config") or {},
        usage_key=UsageKey(usage["key_id"], usage["value"]) if usage.get("key_id") and usage.get("value") else None,
    )


def list_storefronts() -> list[StorefrontRecord]:
    """Every storefront, ordered by id."""
    return [_storefront(data["storefront_id"], data) for data in _query_all(STOREFRONT)]


def list_products() -> list[Product]:
    """Every product record, ordered by sku."""
    return [_model(Product, data) for data in _query_all(PRODUCT)]


# -- API keys --------------------------------------------------------------------------------------


def put_api_key(
    key_id: str,
    key_hash: str,
    role: Role,
    storefront_id: str | None,
    status: KeyStatus = "active",
) -> None:
    """Store a key's hash (never the key) under its id; see oms.api_keys.key_id_of for the id."""
    if role not in ("storefront", "admin"):
        raise ValueError(f"unknown role {role!r}")
    if role == "storefront" and not storefront_id:
        raise ValueError("a storefront key needs a storefront_id")
    _put(
        APIKEY,
        key_id,
        {
            "key_id": key_id,
            "key_hash": key_hash,
            "role": role,
            "storefront_id": storefront_id if role == "storefront" else None,
            "status": status,
            "created_at": _now(),
        },
    )
    _cache.forget(_cache_key(APIKEY, key_id))


def get_api_key(key_id: str) -> ApiKeyRecord | None:
    """The key's record (cached for CACHE_TTL_SECONDS, so a revocation takes up to that long)."""
    if not key_id:
        return None
    record: ApiKeyRecord | None = _cache.get_or_load(_cache_key(APIKEY, key_id), lambda: _load_api_key(key_id))
    return record


def _load_api_key(key_id: str) -> ApiKeyRecord | None:
    data = _get(APIKEY, key_id)
    if not data:
        return None
    return ApiKeyRecord(
        key_id=key_id,
        key_hash=data["key_hash"],
        role=data["role"],
        storefront_id=data.get("storefront_id") or None,
        status=data.get("status", "active"),
    )


def revoke_api_key(key_id: str) -> None:
    """Mark the key revoked (kept, not deleted: the record says who had access, and until when)."""
    client = aws.dynamodb()
    try:
        client.update_item(
            TableName=_table(),
            Key=_key(APIKEY, key_id),
            UpdateExpression="SET #status = :revoked, revoked_at = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":revoked": "revoked", ":at": _now()}),
        )
    except client.exceptions.ConditionalCheckFailedException:
        raise NotFound(f"API key {key_id} does not exist", code="api_key_not_found") from None
    finally:
        _cache.forget(_cache_key(APIKEY, key_id))


# -- partners --------------------------------------------------------------------------------------


def put_partner(partner: Partner) -> Partner:
    """Create or replace the partner's record (its secrets live in Secrets Manager, never here); keeps
    the first `created_at` and answers the record as stored."""
    now = _now()
    data = {
        "partner_id": partner.partner_id,
        "name": partner.name,
        "roles": sorted(partner.roles),
        "location_ids": sorted(partner.location_ids),
        "url": partner.url,
        "updated_at": now,
    }
    names = {f"#{k}": k for k in data}
    values = {f":{k}": v for k, v in data.items() if v is not None}
    assignments = [f"#{k} = :{k}" for k, v in data.items() if v is not None]
    removals = [f"#{k}" for k, v in data.items() if v is None]
    update = "SET " + ", ".join([*assignments, "created_at = if_not_exists(created_at, :now)"])
    if removals:
        update += " REMOVE " + ", ".join(removals)
    try:
        answer = aws.dynamodb().update_item(
            TableName=_table(),
            Key=_key(PARTNER, partner.partner_id),
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item({**values, ":now": now}),
            ReturnValues="ALL_NEW",
        )
    finally:
        _cache.forget(_cache_key(PARTNER, partner.partner_id))
        _cache.forget(_cache_key(PARTNER, "*"))
    return _partner(from_item(answer["Attributes"]))


def get_partner(partner_id: str) -> Partner | None:
    """The partner's record (cached for CACHE_TTL_SECONDS: every webhook asks)."""
    if not partner_id:
        return None
    record: Partner | None = _cache.get_or_load(_cache_key(PARTNER, partner_id), lambda: _load_partner(partner_id))
    return record


def list_partners() -> list[Partner]:
    """Every partner, ordered by id."""
    return [_partner(data) for data in _query_all(PARTNER)]


def _load_partner(partner_id: str) -> Partner | None:
    data = _get(PARTNER, partner_id)
    return _partner(data) if data else None


def _partner(data: dict[str, Any]) -> Partner:
    return Partner(
        partner_id=data["partner_id"],
        name=data.get("name", data["partner_id"]),
        roles=frozenset(role for role in data.get("roles") or () if role in ROLES),
        location_ids=frozenset(data.get("location_ids") or ()),
        url=data.get("url"),
        created_at=data.get("created_at"),
        updated_at=data.get("updated_at"),
    )


# -- plumbing --------------------------------------------------------------------------------------


def _model(cls: type[M], data: dict[str, Any]) -> M:
    # Only the model's own fields: the item also holds pk, sk and bookkeeping the model refuses.
    return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})


def _now() -> str:
    return rfc3339(oms.clock.clock.now())  # looked up per call, so a test's clock applies


def _table() -> str:
    return settings().config_table


def _key(pk: str, sk: str) -> Item:
    return to_item({"pk": pk, "sk": sk})


def _cache_key(kind: str, ident: str) -> tuple[str, str, str]:
    # The table name is part of the key: the local runtime hosts several stacks' functions in one process.
    return (_table(), kind, ident)


def _put(pk: str, sk: str, attributes: dict[str, Any]) -> None:
    aws.dynamodb().put_item(TableName=_table(), Item=to_item({**attributes, "pk": pk, "sk": sk}))


def _get(pk: str, sk: str, *, consistent: bool = False) -> dict[str, Any] | None:
    answer = aws.dynamodb().get_item(TableName=_table(), Key=_key(pk, sk), ConsistentRead=consistent)
    item = answer.get("Item")
    return from_item(item) if item else None
