"""Customer-managed keys: every log group is encrypted with one, and only CloudWatch Logs may use it."""

from __future__ import annotations

import pytest

CRYPTO = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey")


def as_list(value):
    return value if isinstance(value, list) else [value]


def statements(key):
    return key["Properties"]["KeyPolicy"]["Statement"]


def uses_the_key(statement):
    """Whether a statement allows encrypting or decrypting (not just administering) with the key."""
    return statement["Effect"] == "Allow" and any(a.startswith(CRYPTO) for a in as_list(statement["Action"]))


def joined(value):
    """A Fn::Join of pseudo parameters as one string: arn:<AWS::Partition>:logs:..."""
    _, parts = value["Fn::Join"]
    return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)


@pytest.mark.parametrize("synth", ["default_synth", "production_synth"])
def test_every_log_group_of_the_stack_is_encrypted_with_the_logs_key(request, synth):
    synth = request.getfixturevalue(synth)
    key_id, _ = synth.one("AWS::KMS::Key", "LogsKey")
    log_groups = synth.resources("AWS::Logs::LogGroup")
    # Functions (7), the Fulfil and Ship phases, the API's access logs.
    assert len(log_groups) >= 10
    for logical_id, log_group in log_groups.items():
        assert log_group["Properties"].get("KmsKeyId") == {"Fn::GetAtt": [key_id, "Arn"]}, logical_id


def test_the_logs_key_rotates(default_synth):
    _, key = default_synth.one("AWS::KMS::Key", "LogsKey")
    assert key["Properties"]["EnableKeyRotation"] is True


def test_only_the_regional_cloudwatch_logs_service_may_use_the_logs_key_for_this_accounts_log_groups(
    default_synth,
):
    _, key = default_synth.one("AWS::KMS::Key", "LogsKey")
    (use,) = [s for s in statements(key) if uses_the_key(s)]
    assert joined(use["Principal"]["Service"]) == "logs.<AWS::Region>.amazonaws.com"
    assert use["Condition"].keys() == {"ArnLike"}
    (context,) = use["Condition"]["ArnLike"].items()
    assert context[0] == "kms:EncryptionContext:aws:logs:arn"
    assert joined(context[1]) == "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*"


def test_the_account_administers_its_keys_but_cannot_encrypt_or_decrypt_with_them(default_synth):
    keys = default_synth.resources("AWS::KMS::Key")
    ours = {default_synth.one("AWS::KMS::Key", name)[0] for name in ("LogsKey", "MonitoringAlarmTopicKey")}
    assert ours <= set(keys)
    for logical_id, key in keys.items():
        (admin,) = [s for s in statements(key) if "AWS" in s["Principal"]]
        assert joined(admin["Principal"]["AWS"]) == "arn:<AWS::Partition>:iam::<AWS::AccountId>:root", logical_id
        # kms:Put* covers PutKeyPolicy: the account can always repair the key's policy.
        assert {"kms:Put*", "kms:ScheduleKeyDeletion", "kms:Enable*"} <= set(admin["Action"]), logical_id
        assert not uses_the_key(admin), logical_id


@pytest.mark.parametrize(("synth", "policy"), [("default_synth", "Delete"), ("production_synth", "Retain")])
def test_the_logs_key_is_kept_exactly_when_the_log_groups_are(request, synth, policy):
    synth = request.getfixturevalue(synth)
    _, key = synth.one("AWS::KMS::Key", "LogsKey")
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == (policy, policy)
    for logical_id, log_group in synth.resources("AWS::Logs::LogGroup").items():
        assert log_group["DeletionPolicy"] == policy, logical_id
