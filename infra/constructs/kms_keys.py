"""Customer-managed KMS keys: rotated yearly, run by the account, used only by the AWS service each one serves."""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# CDK's own list for key administrators, instead of its default `kms:*` for the account: the account
# (through its IAM policies) may manage the key but not encrypt or decrypt with it; only the service may.
ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
# What CloudWatch Logs needs of the key of a log group (its documented key policy).
LOGS_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def service_key(
    scope: Construct, construct_id: str, *, description: str, use: iam.PolicyStatement, removal: RemovalPolicy
) -> kms.Key:
    """A symmetric key with rotation on, whose policy lets the account administer it and `use` use it."""
    administer = iam.PolicyStatement(
        sid="AccountAdministers",
        principals=[iam.AccountRootPrincipal()],
        actions=ADMIN_ACTIONS,
        resources=["*"],
    )
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        # A policy of our own: with one, CDK adds no `kms:*` statement for the account.
        policy=iam.PolicyDocument(statements=[administer, use]),
        removal_policy=removal,
    )


def logs_key(scope: Construct, construct_id: str, *, stage: str, production: bool) -> kms.Key:
    """The key of every log group of the stack: the regional CloudWatch Logs service may use it, and only
    for log groups of this account and region (CloudWatch Logs passes the log group's ARN as encryption
    context). Kept like the log groups are: a retained log group must stay readable."""
    log_groups = Stack.of(scope).format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    use = iam.PolicyStatement(
        sid="CloudWatchLogsEncryptsThisAccountsLogGroups",
        principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
        actions=LOGS_ACTIONS,
        resources=["*"],
        conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    )
    return service_key(
        scope,
        construct_id,
        description=f"OMS {stage}: CloudWatch Logs of the stack's log groups",
        use=use,
        removal=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
    )
