"""The DynamoDB tables: keys and indexes of the contract, on-demand, recoverable, removable only in dev."""

from __future__ import annotations

from aws_cdk.assertions import Match

KEYS = {
    "DataInventory": [
        {"AttributeName": "sku", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "DataOrders": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "DataConfig": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
}


def test_there_are_exactly_the_three_contract_tables_with_their_keys(default_synth):
    tables = default_synth.resources("AWS::DynamoDB::Table")
    assert len(tables) == 3
    for prefix, key_schema in KEYS.items():
        _, table = default_synth.one("AWS::DynamoDB::Table", prefix)
        assert table["Properties"]["KeySchema"] == key_schema


def test_every_table_is_on_demand_with_point_in_time_recovery_and_aws_managed_encryption(default_synth):
    for table in default_synth.resources("AWS::DynamoDB::Table").values():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert "ProvisionedThroughput" not in props


def test_orders_expire_by_ttl_and_are_indexed_by_storefront_by_deadline_and_by_authorization_renewal(default_synth):
    default_synth.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": KEYS["DataOrders"],
            "TimeToLiveSpecification": {"AttributeName": "expires_at_epoch", "Enabled": True},
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by_storefront",
                    "KeySchema": [
                        {"AttributeName": "storefront_id", "KeyType": "HASH"},
                        {"AttributeName": "created_key", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]},
                },
                {
                    "IndexName": "deadlines",
                    "KeySchema": [
                        {"AttributeName": "deadline_bucket", "KeyType": "HASH"},
                        {"AttributeName": "deadline_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    # Keys only: an order waits here for days without its writes touching the index.
                    "IndexName": "renewals",
                    "KeySchema": [
                        {"AttributeName": "renew_bucket", "KeyType": "HASH"},
                        {"AttributeName": "renew_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
        },
    )


def test_the_inventory_index_is_keys_only_on_an_attribute_reservations_never_write(default_synth):
    # A reservation or a shipment updates reserved/on_hand/available: with keys only on `stocked_at`, that
    # writes nothing to the index, so checkout costs what it did before.
    _, table = default_synth.one("AWS::DynamoDB::Table", "DataInventory")
    [index] = table["Properties"]["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_location" and index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["stocked_at", "sku"]
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert "TimeToLiveSpecification" not in table["Properties"]


def test_the_config_table_has_no_index_or_ttl(default_synth):
    _, table = default_synth.one("AWS::DynamoDB::Table", "DataConfig")
    assert "GlobalSecondaryIndexes" not in table["Properties"]
    assert "TimeToLiveSpecification" not in table["Properties"]


def test_dev_tables_are_deleted_with_the_stack(default_synth):
    for table in default_synth.resources("AWS::DynamoDB::Table").values():
        assert table["DeletionPolicy"] == "Delete"
        assert not table["Properties"].get("DeletionProtectionEnabled", False)


def test_production_tables_are_retained_and_protected_from_deletion(production_synth):
    production_synth.assertions.resource_count_is("AWS::DynamoDB::Table", 3)
    production_synth.assertions.all_resources(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like({"DeletionProtectionEnabled": True}),
        },
    )
