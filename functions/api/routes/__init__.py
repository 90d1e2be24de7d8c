"""One module per group of routes; each declares its routes on a Powertools Router made by `new_router`."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router


def new_router() -> Router:
    """A Powertools Router, typed: `Router.__init__` carries no annotations, so strict mypy refuses to call it."""
    return Router()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated
