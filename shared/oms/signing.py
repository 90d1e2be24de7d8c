"""The one webhook signature scheme, inbound and outbound: `OMS-Signature: t=<unix>,v1=<hex HMAC-SHA256>`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Literal

from oms.domain.errors import OmsError

SIGNATURE_HEADER = "OMS-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
SCHEME = "v1"

# A header longer than this is not a signature anyone we talk to would send; refusing it early keeps
# a hostile request from making us parse (and HMAC against) an arbitrary number of candidate values.
_MAX_HEADER_LENGTH = 2048
_HEX = frozenset("0123456789abcdef")

Reason = Literal["missing", "malformed", "stale", "mismatch"]


class SignatureInvalid(OmsError):
    """The request's OMS-Signature is missing, unreadable, too old or too new, or matches no secret."""

    status, code, title = 401, "signature_invalid", "Invalid signature"

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason: Reason = reason


def signature(body: bytes, secret: str, at: int) -> str:
    """Hex HMAC-SHA256 of "<t>.<raw body>" under `secret`."""
    return hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, at: int) -> str:
    """The OMS-Signature header value for `body` sent at unix time `at`."""
    return f"t={at},{SCHEME}={signature(body, secret, at)}"


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Accept the request or raise SignatureInvalid.

    Several `v1` values in the header and several `secrets` are accepted so either side can rotate
    a secret without downtime: during the change the sender signs with both, or the receiver knows both.
    The timestamp is inside the signed text, so a captured request cannot be replayed outside the window.
    """
    if header is None or not header.strip():
        raise SignatureInvalid("missing", f"the {SIGNATURE_HEADER} header is missing")
    timestamp, candidates = _parse(header)
    if now - timestamp > tolerance_seconds:
        raise SignatureInvalid("stale", f"the signature timestamp is more than {tolerance_seconds} s old")
    if timestamp - now > tolerance_seconds:
        raise SignatureInvalid("stale", f"the signature timestamp is more than {tolerance_seconds} s in the future")
    expected = [signature(body, secret, timestamp).encode() for secret in secrets if secret]
    # compare_digest on every pair: the time taken says nothing about how many leading characters matched.
    if not any(hmac.compare_digest(want, given) for want in expected for given in candidates):
        raise SignatureInvalid("mismatch", "the signature does not match the body and the shared secret")


def _parse(header: str) -> tuple[int, list[bytes]]:
    if len(header) > _MAX_HEADER_LENGTH or not header.isascii():
        raise SignatureInvalid("malformed", f"the {SIGNATURE_HEADER} header cannot be read")
    timestamps: list[int] = []
    candidates: list[bytes] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureInvalid("malformed", f"the {SIGNATURE_HEADER} header cannot be read")
        name, value = name.strip(), value.strip()
        if name == "t":
            if not value.isdigit() or len(value) > 12:
                raise SignatureInvalid("malformed", "the signature timestamp is not a unix time in seconds")
            timestamps.append(int(value))
        elif name == SCHEME:
            value = value.lower()
            if len(value) == 64 and set(value) <= _HEX:
                candidates.append(value.encode())
        # Other schemes (a future v2, a test-mode v0) are ignored, as the scheme's versioning intends.
    if len(timestamps) != 1:
        raise SignatureInvalid("malformed", f"the {SIGNATURE_HEADER} header needs exactly one t=<unix time>")
    if not candidates:
        raise SignatureInvalid("malformed", f"the {SIGNATURE_HEADER} header has no {SCHEME}=<hex> signature")
    return timestamps[0], candidates
