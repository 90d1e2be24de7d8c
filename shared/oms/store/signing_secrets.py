"""Webhook signing secrets in Secrets Manager: one secret per partner and per storefront.

A secret is JSON `{"current": "...", "previous": "...", "previous_expires_at": "<RFC 3339>"}` under
`<prefix><kind>/<owner id>` (kind "partners" or "storefronts"). A rotation makes a new current and
keeps the old one as previous for ROTATION_GRACE, so whoever holds the old secret can keep signing
(and verifying) while they switch over. The secret itself never enters a table or a log.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Literal

from oms import aws
from oms.clock import parse_rfc3339, rfc3339
from oms.settings import settings

Kind = Literal["partners", "storefronts"]
ROTATION_GRACE = timedelta(hours=24)
_PREFIX = "whsec_"  # says what it is where it gets pasted


class SecretMissing(LookupError):
    """No secret, or none usable, is stored for this owner."""


def secret_id(kind: Kind, owner_id: str) -> str:
    return f"{settings().secrets_prefix}{kind}/{owner_id}"


def read(kind: Kind, owner_id: str, now: datetime) -> tuple[str, ...]:
    """The owner's valid secrets, current first, then the previous one while its grace lasts."""
    name = secret_id(kind, owner_id)
    client = aws.secrets()
    try:
        text = client.get_secret_value(SecretId=name).get("SecretString") or ""
    except client.exceptions.ResourceNotFoundException:
        raise SecretMissing(f"{kind[:-1]} {owner_id!r} has no secret {name} in Secrets Manager") from None
    document = _document(text)
    current, previous = document.get("current"), document.get("previous")
    if not isinstance(current, str) or not current:
        raise SecretMissing(f'{kind[:-1]} {owner_id!r}: secret {name} is not JSON with a non-empty "current"')
    if isinstance(previous, str) and previous and _still_valid(document.get("previous_expires_at"), now):
        return current, previous
    return (current,)


def issue(kind: Kind, owner_id: str, now: datetime) -> str:
    """A new current secret for the owner (created on first use); the old current stays valid for
    ROTATION_GRACE. Answers the new secret: the one time anyone is shown it."""
    name = secret_id(kind, owner_id)
    client = aws.secrets()
    fresh = _PREFIX + secrets.token_urlsafe(32)
    try:
        text = client.get_secret_value(SecretId=name).get("SecretString") or ""
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=name, SecretString=json.dumps({"current": fresh}))
        return fresh
    old = _document(text).get("current")
    document: dict[str, str] = {"current": fresh}
    if isinstance(old, str) and old:
        document |= {"previous": old, "previous_expires_at": rfc3339(now + ROTATION_GRACE)}
    client.put_secret_value(SecretId=name, SecretString=json.dumps(document))
    return fresh


def exists(kind: Kind, owner_id: str) -> bool:
    client = aws.secrets()
    try:
        client.describe_secret(SecretId=secret_id(kind, owner_id))
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def _document(text: str) -> dict[str, object]:
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _still_valid(expires_at: object, now: datetime) -> bool:
    if expires_at is None:
        return True  # a secret written by hand with a previous and no expiry: the operator's choice
    try:
        return isinstance(expires_at, str) and parse_rfc3339(expires_at) > now
    except ValueError:
        return False
