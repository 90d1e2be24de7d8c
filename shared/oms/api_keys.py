"""API keys: issue them, hash them for storage, and name the one record that can hold a presented key."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

KeyKind = Literal["storefront", "admin"]
KEY_KINDS: tuple[KeyKind, ...] = ("storefront", "admin")

PREFIX = "sk_live_"
_KEY_ID_BYTES = 8  # 16 hex characters: unique enough to be a primary key, short enough to log
_SECRET_BYTES = 32  # 256 bits of randomness in every issued key
_MAX_KEY_LENGTH = 256
# Issued keys are "sk_live_" + hex + "_" + url-safe base64; local keys are short ASCII words.
# Anything else (spaces, control or non-ASCII characters, kilobytes of text) is not a key we gave out.
_KEY_CHARS = re.compile(r"^[A-Za-z0-9_\-.~+/=]+$")
_ISSUED = re.compile(rf"^{PREFIX}([0-9a-f]{{{_KEY_ID_BYTES * 2}}})_[A-Za-z0-9_\-]{{32,}}$")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A freshly issued key. `secret_key` is shown to its owner once and never stored."""

    key_id: str
    secret_key: str

    @property
    def key_hash(self) -> str:
        return hash_key(self.secret_key)


def new_key(kind: KeyKind) -> IssuedKey:
    """A new random key `sk_live_<key_id>_<random>`; the key id inside it makes lookup one GetItem.

    The kind is not encoded in the key (it lives in the key's record, next to its status), so a key
    cannot claim a role by its spelling.
    """
    if kind not in KEY_KINDS:
        raise ValueError(f"unknown key kind {kind!r}; expected one of {KEY_KINDS}")
    key_id = secrets.token_hex(_KEY_ID_BYTES)
    return IssuedKey(key_id=key_id, secret_key=f"{PREFIX}{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}")


def hash_key(secret_key: str) -> str:
    """SHA-256 hex of the key: what the config table stores instead of the key.

    A plain, fast hash is right here and a password hash (bcrypt, scrypt, argon2) is not: those slow
    down guessing of low-entropy, human-chosen passwords, while an issued key carries 256 random bits
    that no amount of guessing reaches. A slow hash would only add latency to every authorized request.
    """
    return hashlib.sha256(secret_key.encode()).hexdigest()


def key_id_of(secret_key: str) -> str | None:
    """The key id of the record that may hold this key, or None if it cannot be a key at all.

    Issued keys carry their id. Keys that do not (the local defaults such as `sk_local_storefront`,
    keys brought from elsewhere) are found by a derived id, the first 16 hex characters of their
    SHA-256, so every lookup is still one GetItem on (pk "APIKEY", sk key_id) and never a scan.
    Whoever stores such a key must store it under `key_id_of(key)`.
    """
    if not secret_key or len(secret_key) > _MAX_KEY_LENGTH or not _KEY_CHARS.match(secret_key):
        return None
    if secret_key.startswith(PREFIX):
        match = _ISSUED.match(secret_key)
        return match.group(1) if match else None
    return hash_key(secret_key)[: _KEY_ID_BYTES * 2]
