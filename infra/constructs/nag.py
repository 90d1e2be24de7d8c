"""One way to acknowledge a cdk-nag finding: on the construct that causes it, with its reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge rule findings (ids like "AwsSolutions-L1" or "AwsSolutions-IAM5[Resource::*]").

    cdk-nag 3 reads these from construct metadata on the resource or any of its ancestors, so an
    acknowledgment on a construct covers everything beneath it and nothing beside it.
    """
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule, reason=why) for rule, why in reasons.items()))


def arn_ref(resource: IConstruct) -> str:
    """How cdk-nag spells `Fn::GetAtt <resource>.Arn` in a finding id, e.g. "<OrdersTable1A2B3C4D.Arn>"."""
    cfn = resource.node.default_child
    assert isinstance(cfn, CfnResource)
    return f"<{Stack.of(resource).get_logical_id(cfn)}.Arn>"
