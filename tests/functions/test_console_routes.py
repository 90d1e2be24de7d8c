"""The api function serves the operators' console: its page and allow-listed assets, under a strict policy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from functions.api.handler import handler as api
from functions.api.route_table import BY_NAME
from functions.api.routes import console
from tests.functions.conftest import build_proxy_event


def get(context: Any, path: str, asset: str | None = None) -> dict[str, Any]:
    route = BY_NAME["console_asset" if asset is not None else "console"]
    event = build_proxy_event(
        "GET", path, resource=route.path, path_parameters={"asset": asset} if asset is not None else None
    )
    answer: dict[str, Any] = api(event, context)
    return answer


def header(answer: dict[str, Any], name: str) -> str:
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (answer.get("multiValueHeaders") or {}).items()}
    return str(headers.get(name.lower()) or ",".join(multi.get(name.lower(), [])))


def test_the_console_page_is_public_html_under_a_policy_without_inline_script_or_style(lambda_context: Any) -> None:
    answer = get(lambda_context, "/console")
    assert answer["statusCode"] == 200
    assert header(answer, "Content-Type").startswith("text/html")
    csp = header(answer, "Content-Security-Policy")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert header(answer, "X-Content-Type-Options") == "nosniff"
    assert header(answer, "Referrer-Policy") == "no-referrer"
    # Nothing inline for the policy to have to allow: scripts and styles come from the console's own files.
    assert not re.search(r"<script(?![^>]*\bsrc=)", answer["body"])
    assert "<style" not in answer["body"] and "style=" not in answer["body"]


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("app.js", "text/javascript"),
        ("pages.js", "text/javascript"),
        ("returns.js", "text/javascript"),
        ("channels.js", "text/javascript"),
        ("sale.js", "text/javascript"),
        ("console.css", "text/css"),
    ],
)
def test_each_allow_listed_asset_is_served_with_its_content_type(
    lambda_context: Any, asset: str, content_type: str
) -> None:
    answer = get(lambda_context, f"/console/{asset}", asset)
    assert answer["statusCode"] == 200
    assert header(answer, "Content-Type").startswith(content_type)
    assert header(answer, "X-Content-Type-Options") == "nosniff"
    assert answer["body"] == (console.FOLDER / asset).read_text(encoding="utf-8")


@pytest.mark.parametrize("asset", ["index.html", "../handler.py", "..%2Fhandler.py", "route_table.py", "APP.JS"])
def test_anything_off_the_allow_list_is_a_404_problem(lambda_context: Any, asset: str) -> None:
    answer = get(lambda_context, f"/console/{asset}", asset)
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["code"] == "not_found"


def test_every_console_file_is_on_the_allow_list_and_every_listed_file_exists() -> None:
    on_disk = {p.name for p in Path(console.FOLDER).iterdir() if p.is_file()}
    assert on_disk == {*console.ASSETS, console.PAGE}


def test_the_console_renders_api_data_as_text_only() -> None:
    """The page's own scripts never parse data as HTML: no innerHTML, outerHTML, insertAdjacentHTML or eval."""
    for name in console.ASSETS:
        if name.endswith(".js"):
            source = (console.FOLDER / name).read_text(encoding="utf-8")
            assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(", source), name
            assert "localStorage" not in source, name


def test_the_api_functions_asset_carries_every_console_file(tmp_path: Path) -> None:
    from infra.constructs.functions import CopyBundler

    CopyBundler("api").try_bundle(str(tmp_path), image=None)  # type: ignore[arg-type]  # never used by the copy
    bundled = tmp_path / "functions" / "api" / "console"
    for name in (console.PAGE, *console.ASSETS):
        assert (bundled / name).read_bytes() == (console.FOLDER / name).read_bytes()
