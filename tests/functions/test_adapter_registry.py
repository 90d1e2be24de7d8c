"""Per-storefront adapter choice on moto: sandbox by default, "https:<partner>" with the partner's
endpoint and its current secret from Secrets Manager; unknown names and broken partners are refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from oms.adapters import registry
from oms.adapters.registry import AdapterMisconfigured, PartnerNotConfigured, UnknownAdapter, gateways_for
from oms.adapters.sandbox_carrier import SandboxCarrier
from oms.adapters.sandbox_erp import SandboxErp
from oms.adapters.sandbox_fraud import SandboxFraud
from oms.adapters.sandbox_location import SandboxLocation
from oms.adapters.sandbox_payment import SandboxPayment
from oms.adapters.sandbox_tax import SandboxTax
from oms.adapters.signed_https import HttpsCarrier, HttpsErp, HttpsFraud, HttpsLocation, HttpsPayment
from oms.domain.credit import DEFAULT_CREDIT_LIMIT
from oms.domain.partners import Partner
from oms.ports.payment import AuthorizationRequest, CreditLimitExceeded
from oms.store import config

AwsStack = Any  # conftest.AwsStack; tests/ is not a package, so its types are not importable here


@pytest.fixture(autouse=True)
def stack(aws_stack: AwsStack) -> Iterator[AwsStack]:
    registry.clear_cache()
    yield aws_stack
    registry.clear_cache()


def put_secret(partner_id: str, value: dict[str, str] | str) -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    text = value if isinstance(value, str) else json.dumps(value)
    name = f"oms/test/partners/{partner_id}"
    try:
        client.put_secret_value(SecretId=name, SecretString=text)
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=name, SecretString=text)


def partner(partner_id: str, url: str | None = "https://partner.example.com/oms", secret: str = "whsec_1") -> None:  # noqa: S107
    config.put_partner(Partner(partner_id, partner_id.title(), frozenset({"payments"}), url=url))
    put_secret(partner_id, {"current": secret, "previous": "whsec_0"})


def invoice(customer_id: str, amount: int) -> AuthorizationRequest:
    return AuthorizationRequest("ord_1", "sf-1", customer_id, "invoice", amount, "PHP", "ord_1:authorize")


def test_every_port_is_the_sandbox_by_default() -> None:
    for gateways in (gateways_for({}), gateways_for(None), gateways_for({"adapters": {"payment": "sandbox"}})):
        assert isinstance(gateways.payment, SandboxPayment)
        assert isinstance(gateways.fraud, SandboxFraud)
        assert isinstance(gateways.carrier, SandboxCarrier)
        assert isinstance(gateways.location, SandboxLocation)
        assert isinstance(gateways.erp, SandboxErp)
        assert isinstance(gateways.tax, SandboxTax)


def test_https_adapters_use_the_partner_endpoint_and_its_current_secret() -> None:
    partner("payments", "https://pay.example.com/oms", "whsec_pay")
    partner("carrier", "https://ship.example.com/oms", "whsec_ship")
    gateways = gateways_for(
        {
            "adapters": {
                "payment": "https:payments",
                "fraud": "https:payments",
                "carrier": "https:carrier",
                "location": "https:carrier",
                "erp": "https:carrier",
            }
        }
    )
    assert isinstance(gateways.payment, HttpsPayment)
    assert isinstance(gateways.fraud, HttpsFraud)
    assert isinstance(gateways.carrier, HttpsCarrier)
    assert isinstance(gateways.location, HttpsLocation)
    assert isinstance(gateways.erp, HttpsErp)
    assert (gateways.payment.client.partner_id, gateways.payment.client.endpoint_url) == (
        "payments",
        "https://pay.example.com/oms",
    )
    assert gateways.carrier.client.endpoint_url == "https://ship.example.com/oms"
    assert registry.partner_secrets("payments") == ("whsec_pay", "whsec_0")


def test_one_port_can_go_to_a_partner_while_the_others_stay_sandbox() -> None:
    partner("payments")
    gateways = gateways_for({"adapters": {"payment": "https:payments"}})
    assert isinstance(gateways.payment, HttpsPayment)
    assert isinstance(gateways.carrier, SandboxCarrier)


def test_credit_limits_for_the_sandbox_come_from_storefront_config() -> None:
    gateways = gateways_for({"credit_limits": {"acme": 100}, "default_credit_limit": 50})
    assert gateways.payment.authorize(invoice("acme", 100)).status == "authorized"
    with pytest.raises(CreditLimitExceeded):
        gateways.payment.authorize(invoice("acme", 101))
    with pytest.raises(CreditLimitExceeded):
        gateways.payment.authorize(invoice("other", 51))
    assert gateways_for({}).payment.authorize(invoice("other", DEFAULT_CREDIT_LIMIT)).status == "authorized"


@pytest.mark.parametrize(
    "adapters",
    [
        {"payment": "stripe"},
        {"payment": "https:"},
        {"payment": "HTTPS:payments"},
        {"paymnet": "sandbox"},
        {"carrier": 42},
        {"tax": "https:payments"},
        ["payment"],
    ],
)
def test_an_unknown_adapter_or_port_is_refused_with_a_clear_error(adapters: Any) -> None:
    partner("payments")
    with pytest.raises(UnknownAdapter) as caught:
        gateways_for({"adapters": adapters})
    assert caught.value.code == "unknown_adapter"
    assert caught.value.detail


def test_unusable_credit_limits_are_a_configuration_error() -> None:
    for bad in ({"credit_limits": {"acme": -5}}, {"credit_limits": ["acme"]}, {"default_credit_limit": "lots"}):
        with pytest.raises(AdapterMisconfigured) as caught:
            gateways_for(bad)
        assert caught.value.code == "adapter_misconfigured"


def test_a_partner_without_record_endpoint_or_secret_is_not_configured() -> None:
    with pytest.raises(PartnerNotConfigured, match="no partner record"):
        gateways_for({"adapters": {"payment": "https:ghost"}})

    config.put_partner(Partner("noendpoint", "No endpoint", frozenset({"payments"}), url=None))
    put_secret("noendpoint", {"current": "whsec"})
    with pytest.raises(PartnerNotConfigured, match="has no url"):
        gateways_for({"adapters": {"payment": "https:noendpoint"}})

    config.put_partner(Partner("nosecret", "No secret", frozenset({"payments"}), url="https://pay.example.com/oms"))
    with pytest.raises(PartnerNotConfigured, match="Secrets Manager") as caught:
        gateways_for({"adapters": {"payment": "https:nosecret"}})
    assert (caught.value.code, caught.value.status) == ("partner_not_configured", 503)

    config.put_partner(Partner("badsecret", "Bad secret", frozenset({"payments"}), url="https://pay.example.com/oms"))
    put_secret("badsecret", "not json")
    with pytest.raises(PartnerNotConfigured, match="current"):
        gateways_for({"adapters": {"payment": "https:badsecret"}})

    config.put_partner(Partner("plainhttp", "Plain HTTP", frozenset({"payments"}), url="http://pay.example.com/oms"))
    put_secret("plainhttp", {"current": "whsec"})
    with pytest.raises(PartnerNotConfigured, match="https"):
        gateways_for({"adapters": {"payment": "https:plainhttp"}})


def test_a_fixed_secret_is_picked_up_at_once_because_failures_are_not_cached() -> None:
    config.put_partner(Partner("payments", "Payments", frozenset({"payments"}), url="https://pay.example.com/oms"))
    with pytest.raises(PartnerNotConfigured):
        gateways_for({"adapters": {"payment": "https:payments"}})
    put_secret("payments", {"current": "whsec_new"})
    assert isinstance(gateways_for({"adapters": {"payment": "https:payments"}}).payment, HttpsPayment)


def test_secrets_are_cached_until_cleared() -> None:
    partner("payments", secret="whsec_a")
    assert registry.partner_secrets("payments")[0] == "whsec_a"
    put_secret("payments", {"current": "whsec_b"})
    assert registry.partner_secrets("payments")[0] == "whsec_a"
    registry.clear_cache()
    assert registry.partner_secrets("payments") == ("whsec_b",)
