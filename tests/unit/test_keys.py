"""API keys: their shape, their hash, and the id that finds their record in one read."""

from __future__ import annotations

import hashlib
import re

import pytest

from oms.api_keys import hash_key, key_id_of, new_key


@pytest.mark.parametrize("kind", ["storefront", "admin"])
def test_a_new_key_carries_its_id(kind: str) -> None:
    issued = new_key(kind)  # type: ignore[arg-type]
    assert re.fullmatch(r"[0-9a-f]{16}", issued.key_id)
    assert issued.secret_key.startswith(f"sk_live_{issued.key_id}_")
    assert key_id_of(issued.secret_key) == issued.key_id


def test_new_keys_are_random_and_long() -> None:
    issued = [new_key("storefront") for _ in range(50)]
    assert len({k.secret_key for k in issued}) == 50
    assert len({k.key_id for k in issued}) == 50
    random_part = issued[0].secret_key.split("_", 3)[3]
    assert len(random_part) >= 43  # 32 random bytes, url-safe base64


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        new_key("superuser")  # type: ignore[arg-type]


def test_the_hash_is_sha256_hex_and_never_the_key() -> None:
    issued = new_key("admin")
    assert hash_key(issued.secret_key) == hashlib.sha256(issued.secret_key.encode()).hexdigest()
    assert issued.key_hash == hash_key(issued.secret_key)
    assert issued.secret_key not in issued.key_hash


def test_a_random_underscore_in_the_secret_part_does_not_confuse_the_id() -> None:
    key = "sk_live_0123456789abcdef_" + "a_b-c" * 10
    assert key_id_of(key) == "0123456789abcdef"


@pytest.mark.parametrize("key", ["sk_local_storefront", "sk_local_storefront_2", "sk_local_admin"])
def test_keys_without_an_id_get_one_derived_from_their_hash(key: str) -> None:
    assert key_id_of(key) == hashlib.sha256(key.encode()).hexdigest()[:16]


def test_derived_ids_differ_between_keys() -> None:
    assert key_id_of("sk_local_storefront") != key_id_of("sk_local_storefront_2")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "sk_live_",
        "sk_live_NOTHEX0123456789_" + "a" * 43,
        "sk_live_0123456789abcdef_short",
        "sk_live_0123456789abcdef",
        "has space",
        "tab\tinside",
        "ключ",
        "x" * 257,
    ],
)
def test_what_cannot_be_a_key_has_no_id(key: str) -> None:
    assert key_id_of(key) is None
