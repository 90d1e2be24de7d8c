"""The partners one storefront works with, one adapter per port (which adapter is configuration)."""

from __future__ import annotations

from dataclasses import dataclass

from oms.ports.carrier import CarrierGateway
from oms.ports.erp import ErpSink
from oms.ports.fraud import FraudScreen
from oms.ports.location import LocationGateway
from oms.ports.payment import PaymentGateway
from oms.ports.tax import TaxCalculator


@dataclass(frozen=True)
class Gateways:
    payment: PaymentGateway
    fraud: FraudScreen
    carrier: CarrierGateway
    location: LocationGateway
    erp: ErpSink
    tax: TaxCalculator
