"""Domain errors: each carries the HTTP status and machine-readable code a client sees."""

from __future__ import annotations

from typing import Any


class OmsError(Exception):
    """An error a client can cause or must know about; mapped to problem+json in one place."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra


class NotFound(OmsError):
    status, code, title = 404, "not_found", "Not found"


class Forbidden(OmsError):
    status, code, title = 403, "forbidden", "Forbidden"


class Conflict(OmsError):
    status, code, title = 409, "conflict", "Conflict"


class InsufficientStock(Conflict):
    code, title = "insufficient_stock", "Not enough stock"


class Unprocessable(OmsError):
    status, code, title = 422, "unprocessable", "Unprocessable request"


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """RFC 9457 problem details with our `code` extension."""
    return {
        "type": f"https://oms.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def error_problem(error: OmsError) -> dict[str, Any]:
    return problem(error.status, error.code, error.title, error.detail, **error.extra)
