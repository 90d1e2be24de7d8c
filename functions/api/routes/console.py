"""The operators' web console: a static page and its ES modules, served by the api function itself.

The page needs no key (it only asks for one); its own API calls carry `Authorization: Bearer <admin key>`.
Only the files of `ASSETS` are served, from this function's own code: nothing else on disk is reachable.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response

from functions.api.problems import respond
from functions.api.route_table import BY_NAME
from functions.api.routes import new_router, route
from functions.api.schemas import responses

router = new_router()

FOLDER = Path(__file__).resolve().parent.parent / "console"
PAGE = "index.html"
ASSETS: dict[str, str] = {  # file name -> content type; the allow-list
    "console.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "pages.js": "text/javascript; charset=utf-8",
    "returns.js": "text/javascript; charset=utf-8",
    "channels.js": "text/javascript; charset=utf-8",
    "sale.js": "text/javascript; charset=utf-8",
}
# No inline script or style anywhere, so the policy can forbid both; the API is the page's own origin.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


@cache
def _read(name: str) -> str:
    return (FOLDER / name).read_text(encoding="utf-8")


def _file(name: str, content_type: str) -> Response[str]:
    return Response(status_code=200, content_type=content_type, body=_read(name), headers=dict(HEADERS))


def _served(name: str, description: str, media_types: tuple[str, ...], **problems: Any) -> dict[int, dict[str, Any]]:
    """The route's answers for the document, its 200 described as the files it serves rather than JSON."""
    answers = responses(BY_NAME[name], ok={200: (description, None)}, **problems)
    answers[200]["content"] = {media: {"schema": {"type": "string"}} for media in media_types}
    return answers


@route(
    router,
    "console",
    summary="The operators' web console (an HTML page; it signs in with an admin key)",
    tags=["meta"],
    responses=_served("console", "The console's page", ("text/html",), has_parameters=False),
)
def console() -> Response[str]:
    return _file(PAGE, "text/html; charset=utf-8")


@route(
    router,
    "console_asset",
    summary="A script or stylesheet of the console (only its own files)",
    tags=["meta"],
    responses=_served("console_asset", "The file", ("text/javascript", "text/css"), problems={404: ["not_found"]}),
)
def console_asset(asset: str) -> Response[str]:
    content_type = ASSETS.get(asset)
    if content_type is None:  # only the allow-list: no path, no other file of the function
        return respond(404, "not_found", "Not found", "no such console asset")
    return _file(asset, content_type)
