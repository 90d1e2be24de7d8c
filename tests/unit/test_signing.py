"""The OMS-Signature scheme: what it accepts, and every way it refuses."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from oms.domain.errors import error_problem
from oms.signing import SIGNATURE_HEADER, SignatureInvalid, sign, signature, verify

BODY = b'{"id":"evt_1","type":"shipment.packed"}'
SECRET = "whsec_current"
OLD_SECRET = "whsec_previous"
NOW = 1_767_225_600


def refusal(header: str | None, body: bytes = BODY, secrets: tuple[str, ...] = (SECRET,)) -> SignatureInvalid:
    with pytest.raises(SignatureInvalid) as caught:
        verify(header, body, secrets, NOW)
    return caught.value


def test_the_header_is_t_and_v1_over_timestamp_dot_raw_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET, NOW) == f"t={NOW},v1={expected}"
    assert signature(BODY, SECRET, NOW) == expected
    assert SIGNATURE_HEADER == "OMS-Signature"


def test_a_correctly_signed_body_is_accepted() -> None:
    verify(sign(BODY, SECRET, NOW), BODY, [SECRET], NOW)


def test_signatures_within_the_tolerance_either_side_are_accepted() -> None:
    verify(sign(BODY, SECRET, NOW - 300), BODY, [SECRET], NOW)
    verify(sign(BODY, SECRET, NOW + 300), BODY, [SECRET], NOW)


def test_a_tampered_body_is_a_mismatch() -> None:
    error = refusal(sign(BODY, SECRET, NOW), body=BODY.replace(b"packed", b"shipped"))
    assert error.reason == "mismatch"


def test_a_body_signed_with_another_secret_is_a_mismatch() -> None:
    assert refusal(sign(BODY, "whsec_someone_else", NOW)).reason == "mismatch"


def test_a_changed_timestamp_invalidates_the_signature() -> None:
    forged = sign(BODY, SECRET, NOW - 1000).replace(f"t={NOW - 1000}", f"t={NOW}")
    assert refusal(forged).reason == "mismatch"


def test_a_signature_older_than_the_tolerance_is_stale() -> None:
    error = refusal(sign(BODY, SECRET, NOW - 301))
    assert error.reason == "stale"
    assert "old" in error.detail


def test_a_signature_from_too_far_in_the_future_is_stale() -> None:
    error = refusal(sign(BODY, SECRET, NOW + 301))
    assert error.reason == "stale"
    assert "future" in error.detail


def test_the_tolerance_can_be_narrowed() -> None:
    with pytest.raises(SignatureInvalid):
        verify(sign(BODY, SECRET, NOW - 61), BODY, [SECRET], NOW, tolerance_seconds=60)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_header_is_missing(header: str | None) -> None:
    assert refusal(header).reason == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "v1=" + "a" * 64,  # no timestamp
        f"t={NOW}",  # no signature
        f"t=yesterday,v1={'a' * 64}",
        f"t={NOW},t={NOW},v1={'a' * 64}",
        f"t={NOW},v1=not-hex",
        f"t={NOW},v1={'a' * 63}",
        f"t={NOW},v1={'é' * 64}",
        f"t={NOW},v1={'a' * 64}," + "x" * 3000,
        f"t=-{NOW},v1={'a' * 64}",
    ],
)
def test_an_unreadable_header_is_malformed(header: str) -> None:
    assert refusal(header).reason == "malformed"


def test_any_one_of_several_v1_values_may_match() -> None:
    good = signature(BODY, SECRET, NOW)
    header = f"t={NOW},v1={'0' * 64},v1={good}"
    verify(header, BODY, [SECRET], NOW)


def test_a_sender_rotating_its_secret_may_sign_with_both() -> None:
    header = f"t={NOW},v1={signature(BODY, OLD_SECRET, NOW)},v1={signature(BODY, SECRET, NOW)}"
    verify(header, BODY, [SECRET], NOW)
    verify(header, BODY, [OLD_SECRET], NOW)


def test_a_receiver_rotating_accepts_the_current_and_the_previous_secret() -> None:
    verify(sign(BODY, SECRET, NOW), BODY, [SECRET, OLD_SECRET], NOW)
    verify(sign(BODY, OLD_SECRET, NOW), BODY, [SECRET, OLD_SECRET], NOW)
    assert refusal(sign(BODY, "whsec_retired", NOW), secrets=(SECRET, OLD_SECRET)).reason == "mismatch"


def test_unknown_schemes_are_ignored_and_spaces_tolerated() -> None:
    header = f" t={NOW} , v0=whatever , v1={signature(BODY, SECRET, NOW).upper()} "
    verify(header, BODY, [SECRET], NOW)


def test_no_secrets_accepts_nothing() -> None:
    assert refusal(sign(BODY, SECRET, NOW), secrets=()).reason == "mismatch"
    assert refusal(sign(BODY, "", NOW), secrets=("",)).reason == "mismatch"


def test_the_error_is_a_401_problem_with_its_reason() -> None:
    problem = error_problem(refusal(None))
    assert problem["status"] == 401
    assert problem["code"] == "signature_invalid"
    assert problem["reason"] == "missing"
    assert SIGNATURE_HEADER in problem["detail"]


def test_the_empty_body_is_signed_too() -> None:
    verify(sign(b"", SECRET, NOW), b"", [SECRET], NOW)
    assert refusal(sign(b"", SECRET, NOW), body=b" ").reason == "mismatch"
