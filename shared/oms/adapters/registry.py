"""Which adapter serves each port for a storefront: its configuration decides, the sandbox by default.

Storefront config (oms.store.config.StorefrontRecord.config):
    {"adapters": {"payment": "sandbox" | "https:<partner_id>", "fraud": ..., "carrier": ...,
                  "location": ..., "erp": ..., "tax": "sandbox"},
     "credit_limits": {"<customer_id>": <minor units>}, "default_credit_limit": <minor units>}
An "https:<partner_id>" adapter posts to the partner record's url, signed with the partner's current
secret (oms.store.signing_secrets). Tax is sandbox only: checkout needs its answer at once and the
signed-HTTPS adapter's answers come later by webhook.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal

import oms.clock
from oms.adapters.sandbox_carrier import SandboxCarrier
from oms.adapters.sandbox_erp import SandboxErp
from oms.adapters.sandbox_fraud import SandboxFraud
from oms.adapters.sandbox_location import SandboxLocation
from oms.adapters.sandbox_marketplace import SandboxMarketplace
from oms.adapters.sandbox_payment import SandboxPayment
from oms.adapters.sandbox_tax import SandboxTax
from oms.adapters.signed_https import (
    HttpsCarrier,
    HttpsErp,
    HttpsFraud,
    HttpsLocation,
    HttpsMarketplace,
    HttpsPayment,
    SignedJsonClient,
)
from oms.domain.credit import DEFAULT_CREDIT_LIMIT
from oms.domain.errors import OmsError
from oms.ports.carrier import CarrierGateway
from oms.ports.erp import ErpSink
from oms.ports.fraud import FraudScreen
from oms.ports.location import LocationGateway
from oms.ports.marketplace import MarketplaceGateway
from oms.ports.partners import Gateways
from oms.ports.payment import PaymentGateway
from oms.store import TtlCache
from oms.store import config as config_store
from oms.store import signing_secrets as signing_secrets_store

Port = Literal["payment", "fraud", "carrier", "location", "erp", "tax"]
PORTS: tuple[Port, ...] = ("payment", "fraud", "carrier", "location", "erp", "tax")
SANDBOX = "sandbox"
HTTPS_PREFIX = "https:"

# A workflow task builds its gateways on every run; Secrets Manager is asked at most this often per
# partner per container. A rotated secret stays valid as "previous" on the partner's side meanwhile.
SECRET_TTL_SECONDS = 300.0
_secrets: TtlCache[tuple[str, ...]] = TtlCache(SECRET_TTL_SECONDS)
SECRET_REFRESH_SECONDS = 5.0
_refreshed: dict[str, float] = {}


class AdapterMisconfigured(OmsError):
    """The storefront's adapter configuration cannot be used (an operator's mistake, not the shopper's)."""

    status, code, title = 500, "adapter_misconfigured", "Adapter misconfigured"


class UnknownAdapter(AdapterMisconfigured):
    code, title = "unknown_adapter", "Unknown adapter"


class PartnerNotConfigured(AdapterMisconfigured):
    """The partner named by an https adapter has no record, no endpoint_url or no usable secret."""

    status, code, title = 503, "partner_not_configured", "Partner not configured"


def gateways_for(storefront_config: Mapping[str, Any] | None = None) -> Gateways:
    """The adapters a storefront's configuration names (sandbox for every port it does not name).

    Raises UnknownAdapter (code unknown_adapter) for an unknown port or adapter name,
    AdapterMisconfigured for unusable sandbox settings and PartnerNotConfigured for an https partner
    without record, endpoint or secret. Nothing is fetched for sandbox adapters.
    """
    config = storefront_config or {}
    names = _adapter_names(config.get("adapters"))
    partners = {port: _partner_of(port, name) for port, name in names.items()}
    clients = {port: partner_client(partner) for port, partner in partners.items() if partner}

    # Spelled out per port, not in a loop, so mypy checks each adapter against its port's Protocol.
    payment: PaymentGateway = HttpsPayment(c) if (c := clients.get("payment")) else _sandbox_payment(config)
    fraud: FraudScreen = HttpsFraud(c) if (c := clients.get("fraud")) else SandboxFraud()
    carrier: CarrierGateway = HttpsCarrier(c) if (c := clients.get("carrier")) else SandboxCarrier()
    location: LocationGateway = HttpsLocation(c) if (c := clients.get("location")) else SandboxLocation()
    erp: ErpSink = HttpsErp(c) if (c := clients.get("erp")) else SandboxErp()
    return Gateways(
        payment=payment,
        fraud=fraud,
        carrier=carrier,
        location=location,
        erp=erp,
        tax=SandboxTax(),
    )


def marketplace_for(partner_id: str) -> MarketplaceGateway:
    """A channel's marketplace: its partner over signed HTTPS when the partner has a url, else the sandbox."""
    record = config_store.get_partner(partner_id)
    if record is None or not record.url:
        return SandboxMarketplace()
    return HttpsMarketplace(partner_client(partner_id))


def partner_client(partner_id: str) -> SignedJsonClient:
    """A signed-JSON client for the partner: its record's endpoint_url and its current secret."""
    record = config_store.get_partner(partner_id)
    if record is None:
        raise PartnerNotConfigured(f"partner {partner_id!r} has no partner record", partner_id=partner_id)
    if not record.url:
        raise PartnerNotConfigured(f"partner {partner_id!r} has no url", partner_id=partner_id)
    try:
        return SignedJsonClient(partner_id, record.url, partner_secrets(partner_id)[0])
    except ValueError as error:
        raise PartnerNotConfigured(str(error), partner_id=partner_id) from None


def partner_secrets(partner_id: str) -> tuple[str, ...]:
    """The partner's signing secrets, current first (then previous, while a rotation is under way)."""
    return signing_secrets("partners", partner_id)


def signing_secrets(kind: signing_secrets_store.Kind, owner_id: str, *, fresh: bool = False) -> tuple[str, ...]:
    """Signing secrets of a partner ("partners") or a storefront's outbound webhooks ("storefronts").

    `fresh` reads Secrets Manager again (a signature that does not match may mean the owner just
    rotated), at most once every SECRET_REFRESH_SECONDS per secret, so forged requests cannot turn
    into a stream of secret reads.
    """
    secret_id = signing_secrets_store.secret_id(kind, owner_id)
    if fresh and time.monotonic() - _refreshed.get(secret_id, 0.0) >= SECRET_REFRESH_SECONDS:
        _refreshed[secret_id] = time.monotonic()
        _secrets.forget(secret_id)
    secrets = _secrets.get_or_load(secret_id, lambda: _load_secrets(kind, owner_id))
    assert secrets  # _load_secrets raises rather than return (or cache) an unusable secret
    return secrets


def clear_cache() -> None:
    """Forget cached partner secrets (tests; the local runtime after seeding)."""
    _secrets.clear()
    _refreshed.clear()


def _load_secrets(kind: signing_secrets_store.Kind, owner_id: str) -> tuple[str, ...]:
    try:
        return signing_secrets_store.read(kind, owner_id, oms.clock.clock.now())
    except signing_secrets_store.SecretMissing as error:
        raise PartnerNotConfigured(str(error), partner_id=owner_id) from None


def _adapter_names(adapters: Any) -> dict[Port, str]:
    if adapters is None:
        return {}
    if not isinstance(adapters, Mapping):
        raise UnknownAdapter("storefront config 'adapters' must map a port name to an adapter name")
    names: dict[Port, str] = {}
    for port, name in adapters.items():
        known = next((p for p in PORTS if p == port), None)
        if known is None:
            raise UnknownAdapter(
                f"unknown port {port!r} in storefront config 'adapters'; ports: {', '.join(PORTS)}", port=str(port)
            )
        if not isinstance(name, str):
            raise UnknownAdapter(f"the adapter of port {port} must be a string, got {name!r}", port=known)
        names[known] = name
    return names


def _partner_of(port: Port, name: str) -> str | None:
    """None for the sandbox, the partner id for "https:<partner_id>"; anything else is refused."""
    if name == SANDBOX:
        return None
    partner = name[len(HTTPS_PREFIX) :].strip() if name.startswith(HTTPS_PREFIX) else ""
    if not partner or port == "tax":
        choices = "'sandbox'" if port == "tax" else "'sandbox' or 'https:<partner_id>'"
        raise UnknownAdapter(f"unknown adapter {name!r} for port {port}; use {choices}", port=port, adapter=name)
    return partner


def _sandbox_payment(config: Mapping[str, Any]) -> SandboxPayment:
    limits = config.get("credit_limits") or {}
    try:
        if not isinstance(limits, Mapping):
            raise ValueError("'credit_limits' must map a customer id to a limit in minor units")
        return SandboxPayment(limits, config.get("default_credit_limit", DEFAULT_CREDIT_LIMIT))
    except ValueError as error:
        raise AdapterMisconfigured(f"storefront payment config: {error}", port="payment") from None


def validate_config(storefront_config: Mapping[str, Any]) -> None:
    """Refuse, as a client error, a storefront configuration naming a port or adapter that does not exist
    (the same configuration read at run time is an operator's misconfiguration instead)."""
    from oms.domain.errors import Unprocessable

    try:
        for port, name in _adapter_names(storefront_config.get("adapters")).items():
            _partner_of(port, name)
    except UnknownAdapter as error:
        raise Unprocessable(error.detail, code="unknown_adapter") from None
