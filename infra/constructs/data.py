"""The three DynamoDB tables of the contract: inventory, orders and config."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

_S = dynamodb.AttributeType.STRING


class Data(Construct):
    """On-demand tables with point-in-time recovery; generic key names so one table holds many item types."""

    def __init__(self, scope: Construct, construct_id: str, *, production: bool) -> None:
        super().__init__(scope, construct_id)
        self._production = production
        # Its stream feeds stock health (infra.constructs.stock_health), off the checkout's path.
        self.inventory = self._table("Inventory", "sku", stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES)
        # One location's whole stock, for operators. Keys only, on an attribute only a stock record's
        # absolute set writes: reservations and shipments change no key or projected attribute, so they
        # cost no index write (checkout's price stays what it was).
        self.inventory.add_global_secondary_index(
            index_name="by_location",
            partition_key=dynamodb.Attribute(name="stocked_at", type=_S),
            sort_key=dynamodb.Attribute(name="sku", type=_S),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.orders = self._table("Orders", "pk", ttl="expires_at_epoch")
        self.orders.add_global_secondary_index(
            index_name="by_storefront",
            partition_key=dynamodb.Attribute(name="storefront_id", type=_S),
            sort_key=dynamodb.Attribute(name="created_key", type=_S),
            # Keys and status only: with ALL, every one of an order's ~10 lifecycle writes would copy
            # the whole order into the index again; a listing reads the orders themselves in a batch.
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=["status"],
        )
        # Sparse: only items with a pending deadline carry deadline_bucket, so the sweeper reads little.
        self.orders.add_global_secondary_index(
            index_name="deadlines",
            partition_key=dynamodb.Attribute(name="deadline_bucket", type=_S),
            sort_key=dynamodb.Attribute(name="deadline_at", type=_S),
        )
        # Keys only, and sparse: an order with a card authorization to renew stays in it for days, and an
        # index that projects nothing else is not written by the order's writes that leave its keys alone.
        self.orders.add_global_secondary_index(
            index_name="renewals",
            partition_key=dynamodb.Attribute(name="renew_bucket", type=_S),
            sort_key=dynamodb.Attribute(name="renew_at", type=_S),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.config = self._table("Config", "pk")
        self.indexed = frozenset({"orders", "inventory"})  # tables with GSIs: a grant on them covers <arn>/index/*

    @property
    def by_name(self) -> dict[str, dynamodb.Table]:
        return {"orders": self.orders, "inventory": self.inventory, "config": self.config}

    def _table(
        self,
        construct_id: str,
        partition_key: str,
        *,
        ttl: str | None = None,
        stream: dynamodb.StreamViewType | None = None,
    ) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(name=partition_key, type=_S),
            sort_key=dynamodb.Attribute(name="sk", type=_S),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # AWS-managed key: encrypted at rest with no key policy to run and no per-key monthly fee.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=ttl,
            stream=stream,
            # A dev stack must be disposable; production data must survive a mistaken delete.
            deletion_protection=self._production,
            removal_policy=RemovalPolicy.RETAIN if self._production else RemovalPolicy.DESTROY,
        )
