"""Wires services to their adapters: DynamoDB, the adapter registry, Step Functions and EventBridge in
the functions; memory and the sandbox adapters in service tests. Built per invocation (a unit of work
holds the writes of one request)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oms.clock import Clock
from oms.clock import clock as default_clock
from oms.services.deps import Deps

if TYPE_CHECKING:
    from oms.ports.marketplace import MarketplaceGateway
    from oms.ports.partners import Gateways
    from oms.store.memory import MemoryStore


def _registry_partners(storefront_id: str) -> Gateways:
    # Imported on use: the adapters load where a step calls a partner, not on every API cold start.
    from oms.adapters.registry import gateways_for
    from oms.store import config as config_store

    storefront = config_store.get_storefront(storefront_id)
    return gateways_for(storefront.config if storefront else {})


def aws(clock: Clock | None = None) -> Deps:
    from oms.adapters.eventbridge import EventBridgePublisher
    from oms.adapters.sandbox_tax import SandboxTax
    from oms.adapters.step_functions import StepFunctionsStarter
    from oms.store.unit_of_work import DynamoUnitOfWork

    return Deps(
        uow=DynamoUnitOfWork(),
        partners=_registry_partners,
        phases=StepFunctionsStarter(),
        publisher=EventBridgePublisher(),
        clock=clock or default_clock,
        tax=SandboxTax(),  # the only tax adapter: a partner's tax answer would come too late for checkout
        marketplace=_registry_marketplace,
    )


def in_memory(store: MemoryStore, clock: Clock | None = None) -> Deps:
    """Services over a memory store with the sandbox adapters (configured per storefront as in AWS)."""
    from oms.adapters.memory import RecordingPublisher, RecordingStarter
    from oms.adapters.sandbox_marketplace import SandboxMarketplace
    from oms.adapters.sandbox_tax import SandboxTax
    from oms.store.memory import MemoryUnitOfWork

    return Deps(
        uow=MemoryUnitOfWork(store),
        partners=lambda storefront_id: sandbox_gateways(store.storefronts.get(storefront_id) or {}),
        phases=RecordingStarter(),
        publisher=RecordingPublisher(),
        clock=clock or default_clock,
        tax=SandboxTax(),
        marketplace=lambda _: SandboxMarketplace(),
    )


def sandbox_gateways(config: dict[str, Any]) -> Gateways:
    """Every port's sandbox adapter, with the storefront's credit limits (no registry: no AWS import)."""
    from oms.adapters.sandbox_carrier import SandboxCarrier
    from oms.adapters.sandbox_erp import SandboxErp
    from oms.adapters.sandbox_fraud import SandboxFraud
    from oms.adapters.sandbox_location import SandboxLocation
    from oms.adapters.sandbox_payment import SandboxPayment
    from oms.adapters.sandbox_tax import SandboxTax
    from oms.domain.credit import DEFAULT_CREDIT_LIMIT
    from oms.ports.partners import Gateways

    payment = SandboxPayment(
        config.get("credit_limits") or {}, config.get("default_credit_limit", DEFAULT_CREDIT_LIMIT)
    )
    return Gateways(
        payment=payment,
        fraud=SandboxFraud(),
        carrier=SandboxCarrier(),
        location=SandboxLocation(),
        erp=SandboxErp(),
        tax=SandboxTax(),
    )


def _registry_marketplace(partner_id: str) -> MarketplaceGateway:
    from oms.adapters.registry import marketplace_for

    return marketplace_for(partner_id)
