"""The operators' console in a real browser (Chromium through Playwright) against the local stack: sign-in,
orders, an order, the review queue, returns, stock health and its suggestions, supply (inbounds and transfers),
channels and dead letters, and that API data is only ever text."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ADMIN_KEY, Api, checkout_body, unique
from tests.e2e.test_channels import heard, marketplace, receiver, told
from tests.e2e.test_returns import LOCATION, ask, delivered_order
from tests.e2e.test_supply import partner_event, ship
from tests.e2e.test_webhooks import post_event

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"the console's browser tests need Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the console's browser tests need playwright")

__all__ = ["receiver"]  # the fixture, used by name

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
XSS = "<img src=x onerror=alert(1)>"
Page = Any  # playwright.sync_api.Page


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"the console threw: {errors}"


def sign_in(page: Page, api: Api, key: str = ADMIN_KEY) -> None:
    page.goto(f"{api.base}/console")
    page.get_by_label("Admin API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Orders").wait_for()


def shot(page: Page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.3)
    return found


def place(api: Api, sku: str, **overrides: Any) -> str:
    api.stock_at("mnl-wh-1", sku, 10)
    reply = api.checkout(checkout_body((sku, 1), **overrides))
    assert reply.status_code == 201, reply.text
    return str(reply.json()["order_id"])


def admin_order(api: Api, order_id: str) -> dict[str, Any]:
    reply = api.admin("GET", f"/v1/admin/orders/{order_id}")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_the_console_page_is_served_with_a_strict_content_security_policy(api: Api) -> None:
    reply = api.request("GET", "/console", key=None)
    assert reply.status_code == 200
    assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in reply.headers["Content-Security-Policy"]
    assert api.request("GET", "/console/handler.py", key=None).status_code == 404


def test_an_operator_signs_in_finds_an_order_placed_over_the_api_and_opens_it(api: Api, page: Page) -> None:
    order_id = place(api, unique("CON"), po_number=unique("PO"))
    page.goto(f"{api.base}/console")
    page.get_by_role("heading", name="Sign in").wait_for()
    shot(page, "sign-in")
    sign_in(page, api)
    assert page.evaluate("() => window.localStorage.length") == 0  # the key is kept in the tab's session only
    assert ADMIN_KEY not in page.url

    page.get_by_label("Search (order id, email, PO)").fill(order_id)
    page.get_by_role("button", name="Search").click()
    link = page.get_by_role("link", name=order_id)
    link.wait_for()
    shot(page, "orders")
    link.click()

    page.get_by_role("heading", name="Lines").wait_for()
    assert order_id in page.locator("h1").inner_text()
    for section in ("Payment", "Shipments", "Timeline", "Partner events seen", "Routing explanation"):
        assert page.get_by_role("heading", name=section).is_visible()
    assert "Authorized" in page.locator("main").inner_text()
    shot(page, "order")


def test_an_operator_cancels_an_order_from_the_order_page_and_its_stock_is_released(api: Api, page: Page) -> None:
    sku = unique("CXL")
    order_id = place(api, sku)
    assert api.stock(sku)["reserved"] == 1
    sign_in(page, api)
    page.goto(f"{api.base}/console#/orders/{order_id}")
    page.get_by_role("heading", name="Lines").wait_for()
    route = page.locator("ul.routes li.route")  # the shipment diagram: from its location to the address's city
    assert route.count() == len(admin_order(api, order_id)["shipments"]) >= 1
    assert "from mnl-wh-1 → Makati" in route.first.inner_text()

    page.get_by_role("button", name="Cancel order").click()  # a confirm step in the page, not window.confirm
    page.get_by_role("button", name="Keep order").click()
    assert page.get_by_role("button", name="Confirm cancel").count() == 0
    assert admin_order(api, order_id)["status"] != "cancelled"
    page.get_by_role("button", name="Cancel order").click()
    page.get_by_role("button", name="Confirm cancel").click()
    page.locator("h1 .badge", has_text="cancelled").wait_for()
    assert page.get_by_role("button", name="Cancel order").count() == 0  # closed: nothing more to cancel
    assert "cancelled by an operator" in page.locator("main").inner_text()

    assert admin_order(api, order_id)["status"] == "cancelled"
    assert wait_for(lambda: api.stock(sku)["reserved"] == 0, "the cancelled order's stock stayed reserved")
    shot(page, "order-cancelled")


def test_a_backordered_shipment_shows_what_it_waits_for_and_a_cancel_gives_the_promise_back(
    api: Api, page: Page
) -> None:
    sku, inbound_id = unique("PRE"), unique("po")
    assert api.admin("PUT", f"/v1/admin/products/{sku}", {"backorder": True}).ok
    inbound = {"location_id": "mnl-wh-1", "expected_at": "2027-01-10T02:00:00Z", "lines": [{"sku": sku, "quantity": 4}]}
    assert api.admin("PUT", f"/v1/admin/inbound/{inbound_id}", inbound).status_code == 201
    reply = api.checkout(checkout_body((sku, 1)))  # none on hand: promised against the inbound
    assert reply.status_code == 201, reply.text
    order_id = reply.json()["order_id"]

    def promised() -> int:
        incoming = api.request("GET", f"/v1/availability?sku={sku}").json()["skus"][0]["incoming"]
        return sum(lot["promised"] for lot in incoming)

    assert promised() == 1
    sign_in(page, api)
    page.goto(f"{api.base}/console#/orders/{order_id}")
    page.get_by_role("heading", name="Lines").wait_for()
    shipments = page.locator("section", has=page.get_by_role("heading", name="Shipments")).inner_text()
    assert f"{sku} \u00d7 1 on {inbound_id}" in shipments  # the page writes "<sku> times <n>"
    page.get_by_role("button", name="Cancel order").click()
    page.get_by_role("button", name="Confirm cancel").click()
    page.locator("h1 .badge", has_text="cancelled").wait_for()
    assert wait_for(lambda: promised() == 0, "the cancelled backorder kept its promise")


def test_the_created_after_date_filter_narrows_the_orders_list(api: Api, page: Page) -> None:
    po = unique("PO")  # searched by PO: a search by order id is a direct look-up that no date narrows
    order_id = place(api, unique("DAY"), po_number=po)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    sign_in(page, api)
    page.goto(f"{api.base}/console#/orders?q={po}")
    page.get_by_role("link", name=order_id).wait_for()

    page.get_by_label("Created before").fill(tomorrow)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"**created_before={tomorrow}*")
    page.get_by_role("link", name=order_id).wait_for()  # placed before tomorrow: still listed

    page.get_by_label("Created before").fill("")
    page.get_by_label("Created after").fill(tomorrow)
    page.get_by_role("button", name="Search").click()
    page.get_by_text("Nothing matches.").wait_for()
    assert page.get_by_role("link", name=order_id).count() == 0
    assert f"created_after={tomorrow}" in page.url and "created_before" not in page.url
    page.reload()  # the filter lives in the hash
    page.get_by_text("Nothing matches.").wait_for()
    assert page.get_by_label("Created after").input_value() == tomorrow


def test_the_status_count_bar_counts_the_page_and_filters_by_a_status(api: Api, page: Page) -> None:
    po = unique("PO")
    kept, cancelled = place(api, unique("CNT"), po_number=po), place(api, unique("CNT"), po_number=po)
    reply = api.admin("POST", f"/v1/admin/orders/{cancelled}/cancel")
    assert reply.status_code == 200, reply.text
    wait_for(lambda: admin_order(api, kept)["status"] != "accepted", "the order never moved on from accepted")
    statuses = sorted([admin_order(api, kept)["status"], "cancelled"])
    sign_in(page, api)
    page.goto(f"{api.base}/console#/orders?q={po}")
    page.get_by_role("link", name=kept).wait_for()
    bar = page.get_by_role("navigation", name="Order counts on this page")
    assert "On this page" in bar.inner_text()
    links = bar.get_by_role("link")
    assert sorted(links.nth(i).get_attribute("data-status") for i in range(links.count())) == statuses
    assert bar.get_by_role("link", name="cancelled 1").is_visible()

    bar.get_by_role("link", name="cancelled 1").click()
    page.wait_for_url("**status=cancelled*")
    assert f"q={po}" in page.url  # the other filters stay
    page.get_by_role("link", name="cancelled 1").wait_for()
    page.get_by_role("link", name=cancelled).wait_for()
    assert page.get_by_role("link", name=kept).count() == 0
    assert page.get_by_role("link", name="cancelled 1").get_attribute("aria-current") == "true"
    assert page.get_by_label("Status").input_value() == "cancelled"


def test_approving_a_held_order_takes_it_out_of_the_review_queue(api: Api, page: Page) -> None:
    order_id = place(api, unique("CON"), customer={"id": "c-9", "email": f"{unique('h')}@review.test", "type": "b2c"})
    wait_for(lambda: admin_order(api, order_id)["status"] == "on_hold", "the order was never held for review")
    sign_in(page, api)
    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name=order_id).wait_for()
    shot(page, "review-queue")
    page.get_by_role("link", name=order_id).click()

    page.get_by_role("button", name="Approve").click()
    page.locator("h1 .badge").filter(has_not_text="on_hold").wait_for()
    assert page.get_by_role("button", name="Approve").count() == 0
    assert wait_for(lambda: admin_order(api, order_id)["status"] != "on_hold", "approval did not move the order")


def test_a_customer_name_with_markup_is_shown_as_text_and_runs_nothing(api: Api, page: Page) -> None:
    address = {**checkout_body()["shipping_address"], "name": XSS}
    order_id = place(api, unique("CON"), shipping_address=address)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, api)
    page.goto(f"{api.base}/console#/orders?q={order_id}")
    page.get_by_role("cell", name=XSS).wait_for()
    page.get_by_role("link", name=order_id).click()
    page.get_by_role("heading", name="Lines").wait_for()
    page.wait_for_timeout(500)  # time for an injected onerror to have fired

    assert XSS in page.locator("main").inner_text()
    assert page.locator("main img").count() == 0
    assert dialogs == []
    shot(page, "order-xss-as-text")


@contextmanager
def returns_held_for_review(api: Api) -> Iterator[None]:
    """sf-local's returns wait for an operator while inside; its configuration as it was afterwards."""
    storefront = api.admin("GET", "/v1/admin/storefronts/sf-local").json()
    config = {k: v for k, v in storefront.items() if k not in ("storefront_id", "webhook_secret")}
    held = api.admin("PUT", "/v1/admin/storefronts/sf-local", {**config, "returns": {"auto_approve": False}})
    assert held.status_code == 200, held.text
    try:
        yield
    finally:
        api.admin("PUT", "/v1/admin/storefronts/sf-local", config)


def held_return(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A delivered order of two units and a return of one of them, held for review: (order, return)."""
    order = delivered_order(api, [(unique("RET"), 2)])
    opened = ask(api, order["order_id"], [(order["lines"][0]["sku"], 1)])
    assert opened.status_code == 201, opened.text
    assert opened.json()["status"] == "requested"
    return order, dict(opened.json())


def admin_return(api: Api, return_id: str) -> dict[str, Any]:
    reply = api.admin("GET", f"/v1/admin/returns/{return_id}")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_an_operator_approves_a_held_return_from_the_returns_page_and_its_label_is_booked(api: Api, page: Page) -> None:
    with returns_held_for_review(api):
        order, held = held_return(api)
        return_id, sku = held["return_id"], held["lines"][0]["sku"]
        sign_in(page, api)
        page.get_by_role("link", name="Returns").click()
        row = page.get_by_role("row").filter(has_text=return_id)
        row.wait_for()
        assert page.locator("nav a[aria-current=page]").inner_text() == "Returns"
        assert f"{sku} \u00d7 1" in row.inner_text() and row.locator(".badge", has_text="requested").is_visible()
        assert row.get_by_role("link", name=order["order_id"]).get_attribute("href") == f"#/orders/{order['order_id']}"
        refund = f"{held['refund']['total'] // 100}.{held['refund']['total'] % 100:02d}"
        assert row.get_by_role("cell").nth(4).inner_text() == refund  # the quoted refund, as money
        shot(page, "returns")

        row.get_by_role("button", name=f"Approve return {return_id}").click()
        page.locator("main p[role=status]").filter(has_text=f"Return {return_id} approved: label").wait_for()
        page.get_by_role("row").filter(has_text=return_id).wait_for(state="detached")  # the list was reloaded

        approved = admin_return(api, return_id)
        assert approved["status"] == "approved" and approved["decided_by"].startswith("admin:")
        assert approved["label"]["carrier"] and approved["label"]["tracking_number"]

        page.goto(f"{api.base}/console#/orders/{order['order_id']}")
        returns = page.locator("section.order-returns")
        returns.get_by_role("row").filter(has_text=return_id).wait_for()  # the order page lists it too
        text = returns.inner_text()
        assert "approved" in text and approved["label"]["tracking_number"] in text


def test_an_operator_rejects_a_held_return_with_a_reason_after_a_confirm_step(api: Api, page: Page) -> None:
    why = f"worn, tags removed {XSS}"
    with returns_held_for_review(api):
        _, held = held_return(api)
        return_id = held["return_id"]
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(page, api)
        page.goto(f"{api.base}/console#/returns")
        row = page.get_by_role("row").filter(has_text=return_id)
        reject = row.get_by_role("button", name=f"Reject return {return_id}")
        reject.click()  # the reason and the confirm step are in the page: no window.prompt or confirm
        row.get_by_role("button", name="Keep return").click()
        assert row.get_by_role("button", name="Confirm reject").count() == 0
        assert admin_return(api, return_id)["status"] == "requested"

        reject.click()
        row.get_by_label(f"Reason for rejecting return {return_id}").fill(why)
        shot(page, "returns-reject")
        row.get_by_role("button", name="Confirm reject").click()
        said = page.locator("main p[role=status]").filter(has_text=f"Return {return_id} rejected")
        said.wait_for()
        assert why in said.inner_text() and page.locator("main img").count() == 0  # the reason, as text
        page.get_by_role("row").filter(has_text=return_id).wait_for(state="detached")
        assert dialogs == []

        rejected = admin_return(api, return_id)
        assert (rejected["status"], rejected["reason"], rejected["label"]) == ("rejected", why, None)


def test_a_refund_the_provider_refused_waits_on_the_returns_page_with_a_retry_button(api: Api, page: Page) -> None:
    refusing = {"method": "card", "token": "tok_refund_fail"}  # the sandbox captures, then refuses every refund
    order = delivered_order(api, [(unique("RFD"), 1)], payment=refusing)
    opened = ask(api, order["order_id"], [(order["lines"][0]["sku"], 1)])
    assert opened.status_code == 201 and opened.json()["status"] == "approved", opened.text
    return_id, sku = opened.json()["return_id"], order["lines"][0]["sku"]
    parcel = partner_event(
        "return.received",
        return_id=return_id,
        location_id=LOCATION,
        lines=[{"sku": sku, "quantity": 1, "condition": "resellable"}],
    )
    assert post_event(api, "warehouse", parcel).status_code == 202
    refused = wait_for(lambda: admin_return(api, return_id).get("issue"), "the refused refund was never noted")
    attempts = admin_return(api, return_id)["refund_attempts"]

    sign_in(page, api)
    page.goto(f"{api.base}/console#/returns")
    row = page.get_by_role("row").filter(has_text=return_id)
    row.wait_for()
    assert refused in row.inner_text() and row.get_by_role("button", name="Approve").count() == 0
    row.get_by_role("button", name=f"Retry refund of return {return_id}").click()
    page.locator("main p[role=status]").filter(has_text=f"The refund of return {return_id} is still waiting").wait_for()
    page.get_by_role("row").filter(has_text=return_id).get_by_role("button").wait_for()  # reloaded, still listed
    assert admin_return(api, return_id)["refund_attempts"] == attempts + 1

    page.goto(f"{api.base}/console#/orders/{order['order_id']}")
    returns = page.locator("section.order-returns")
    returns.get_by_role("row").filter(has_text=return_id).wait_for()
    assert "received" in returns.inner_text() and refused in returns.inner_text()
    assert returns.get_by_role("link", name="Returns").get_attribute("href") == "#/returns"


def test_a_level_at_its_reorder_point_is_a_low_cell_of_the_stock_table(api: Api, page: Page) -> None:
    sku = unique("LOW")
    reply = api.admin("PUT", f"/v1/admin/inventory/mnl-wh-1/{sku}", {"on_hand": 3, "reorder_point": 5})
    assert reply.status_code == 200, reply.text

    def low() -> bool:
        levels = api.admin("GET", f"/v1/admin/stock-health?sku={sku}").json().get("levels", [])
        return any(level["status"] == "low" for level in levels)

    wait_for(low, "stock health never showed the level as low")
    sign_in(page, api)
    page.get_by_role("link", name="Stock").click()
    page.get_by_label("SKU").fill(sku)
    page.get_by_role("button", name="Search").click()
    cell = page.locator(f'td.st-low[data-sku="{sku}"][data-location="mnl-wh-1"]')
    cell.wait_for(timeout=60_000)  # a loaded machine (the whole suite at once) renders slowly
    assert "on hand 3 · reserved 0 · avail 3" in cell.inner_text()
    level = api.admin("GET", f"/v1/admin/stock-health?sku={sku}").json()["levels"][0]
    assert level["suggestion"]["type"] == "reorder"  # nothing to move it from: a reorder, shown as text
    assert f"Reorder {level['suggestion']['quantity']}" in cell.inner_text() and cell.get_by_role("button").count() == 0
    page.get_by_label("SKU").fill("")
    page.get_by_label("Location").fill("mnl-wh-1")
    page.get_by_role("button", name="Search").click()
    page.locator("table.matrix").wait_for()
    shot(page, "stock")


def test_a_transfer_suggestion_is_a_button_that_requests_it_and_links_to_the_supply_page(api: Api, page: Page) -> None:
    sku, near, far = unique("SUGG"), unique("mkt"), unique("dvo")
    api.location(near, 14.55, 121.02)  # Makati, beside the checkout's address
    api.location(far, 7.19, 125.45)  # Davao: far, and with far more than it sells
    api.stock_at(near, sku, 12)
    api.stock_at(far, sku, 500)
    for _ in range(4):  # 8 of Makati's 12 sold today: low
        order = api.checkout(checkout_body((sku, 2))).json()
        assert order["shipments"][0]["location_id"] == near, order["shipments"]
        ship(api, order)
    davao = {"name": "Ben", "line1": "1 Roxas Ave", "city": "Davao", "postal_code": "8000", "country": "PH"}
    order = api.checkout(checkout_body((sku, 1), shipping_address=davao)).json()  # one sold in Davao: a surplus
    assert order["shipments"][0]["location_id"] == far, order["shipments"]
    ship(api, order)

    def suggested() -> dict[str, Any]:
        levels = api.admin("GET", f"/v1/admin/stock-health?sku={sku}").json().get("levels", [])
        here = next((lv for lv in levels if lv["location_id"] == near), {})
        return dict(here.get("suggestion") or {}) if (here.get("suggestion") or {}).get("type") == "transfer" else {}

    suggestion = wait_for(suggested, "stock health never suggested a transfer")
    assert suggestion["from_location_id"] == far and suggestion["to_location_id"] == near
    sign_in(page, api)
    page.goto(f"{api.base}/console#/stock?sku={sku}")
    cell = page.locator(f'td.st-low[data-sku="{sku}"][data-location="{near}"]')
    button = cell.get_by_role("button", name=f"Transfer {suggestion['quantity']} from {far}")
    button.wait_for()
    source = page.locator(f'td.st-over[data-sku="{sku}"][data-location="{far}"]')
    # The same transfer, seen from Davao's side.
    twin = source.get_by_role("button", name=f"Transfer {suggestion['quantity']} to {near}")
    assert twin.is_visible()
    shot(page, "stock-suggestion")

    button.click()
    link = cell.get_by_role("link", name="Transfer ")
    link.wait_for()
    transfer_id = link.inner_text().removeprefix("Transfer ").strip()
    assert button.is_hidden() and twin.is_hidden()  # requested once: neither button offers it again
    transfer = api.admin("GET", f"/v1/admin/transfers/{transfer_id}").json()
    assert transfer["status"] == "requested" and transfer["reason"] == "accepted from a suggestion"
    assert transfer["lines"] == [{"sku": sku, "quantity": suggestion["quantity"], "shipped": 0, "received": 0}]
    assert (transfer["from_location_id"], transfer["to_location_id"]) == (far, near)

    link.click()
    record = page.locator("section.record")
    record.get_by_role("heading", name=f"Transfer {transfer_id}").wait_for()
    assert page.locator("nav a[aria-current=page]").inner_text() == "Supply"
    text = record.inner_text()
    assert "requested" in text and far in text and near in text and sku in text


def test_the_supply_page_looks_up_an_inbound_and_requests_a_transfer_from_its_form(api: Api, page: Page) -> None:
    sku, to = unique("SUP"), unique("dc")
    api.location(to, 14.6, 121.0)
    api.stock_at("mnl-wh-1", sku, 10)
    inbound_id = unique("po")
    put = api.admin(
        "PUT",
        f"/v1/admin/inbound/{inbound_id}",
        {
            "location_id": to,
            "expected_at": "2026-12-20T00:00:00Z",
            "lines": [{"sku": sku, "quantity": 40}],
            "supplier": XSS,
        },
    )
    assert put.status_code == 201, put.text
    sign_in(page, api)
    page.get_by_role("link", name="Supply").click()
    page.get_by_role("heading", name="Supply", exact=True).wait_for()

    page.get_by_label("Kind").select_option("inbound")
    page.get_by_label("Inbound or transfer id").fill(inbound_id)
    page.get_by_label("Inbound or transfer id").press("Enter")
    record = page.locator("section.record")
    record.get_by_role("heading", name=f"Inbound {inbound_id}").wait_for()
    assert XSS in record.inner_text() and page.locator("main img").count() == 0  # the supplier, as text
    assert "40" in record.get_by_role("table").first.inner_text()

    page.get_by_label("Kind").select_option("transfer")
    page.get_by_label("Inbound or transfer id").fill("no-such-transfer")
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("alert").filter(has_text="No transfer no-such-transfer").wait_for()

    page.get_by_label("From location").fill("mnl-wh-1")
    page.get_by_label("To location").fill(to)
    page.get_by_label("SKU").fill(sku)
    page.get_by_label("Quantity").fill("99")  # more than the 10 there: refused with the problem's detail
    page.get_by_role("button", name="Request transfer").click()
    page.locator("p.error").filter(has_text="Transfer refused").wait_for()

    page.get_by_label("Quantity").fill("3")
    page.get_by_label("Quantity").press("Enter")  # the keyboard submits it
    link = page.locator("main p[role=status]").get_by_role("link", name="Transfer ")
    link.wait_for()
    transfer_id = link.inner_text().removeprefix("Transfer ").strip()
    record.get_by_role("heading", name=f"Transfer {transfer_id}").wait_for()
    assert "requested" in record.inner_text()
    transfer = api.admin("GET", f"/v1/admin/transfers/{transfer_id}").json()
    assert transfer["status"] == "requested" and transfer["lines"][0]["quantity"] == 3
    assert page.get_by_label("Inbound or transfer id").input_value() == transfer_id
    shot(page, "supply", full_page=True)


def test_the_channels_page_shows_what_a_channel_was_told_and_resyncs_it(api: Api, page: Page, receiver: str) -> None:
    partner_id, _ = marketplace(api, receiver)
    sku, channel_id = unique("CHC"), unique("shopee-ph")
    api.stock_at("mnl-wh-1", sku, 10)
    buffer = {"units": 1, "percent": 20}  # 20 % of 10 holds back more than 1 unit: 8 told
    setup = {"storefront_id": "sf-local", "partner_id": partner_id, "skus": [sku], "buffer": buffer}
    assert api.admin("PUT", f"/v1/admin/channels/{channel_id}", setup).status_code == 201
    wait_for(lambda: told(api, channel_id, sku) == 8, "the channel was never told 8 (10 less 20 %)")

    def stock_events() -> int:
        return sum(sku in e["data"]["quantities"] for e in heard("marketplace.stock"))

    sent_before = stock_events()
    sign_in(page, api)
    page.get_by_role("link", name="Channels").click()
    row = page.get_by_role("row").filter(has_text=channel_id)
    row.wait_for()
    assert page.locator("nav a[aria-current=page]").inner_text() == "Channels"
    cells = [row.get_by_role("cell").nth(i).inner_text() for i in range(5)]
    assert cells == [channel_id, "sf-local", partner_id, "1 unit / 20 %", sku]

    row.get_by_role("link", name=f"Stock of channel {channel_id}").click()
    section = page.locator("section.channel-stock")
    section.get_by_role("heading", name=f"Stock told to {channel_id}").wait_for()
    told_row = section.get_by_role("row").filter(has_text=sku)
    told_row.wait_for()
    assert told_row.get_by_role("cell").nth(1).inner_text() == "8"  # the quantity told
    assert "\u2713 yes" in told_row.inner_text()  # the receiver acknowledged it
    assert f"channel={channel_id}" in page.url  # the open channel lives in the hash

    section.get_by_role("button", name="Resync now").click()
    said = section.locator("p[role=status]").filter(has_text=f"Sent 1 figure again to {channel_id}.")
    said.wait_for()  # said once the table is reloaded
    assert section.get_by_role("row").filter(has_text=sku).get_by_role("cell").nth(1).inner_text() == "8"
    assert section.get_by_role("button", name="Resync now").is_enabled()
    wait_for(lambda: stock_events() > sent_before, "the resync never reached the marketplace")
    shot(page, "channels")


def test_the_channels_page_says_when_there_are_none_and_shows_a_refused_figure_with_its_error(
    api: Api, page: Page
) -> None:
    """What the local marketplace never does (refuse a figure) and an empty list, answered by the browser itself."""
    at = "2026-01-02T03:04:05Z"
    channel = {"channel_id": "lazada-ph", "storefront_id": "sf-local", "partner_id": "lazada", "skus": None}
    channel |= {"buffer": {"units": 0, "percent": 5}, "created_at": at, "updated_at": at}
    figure = {"channel_id": "lazada-ph", "sku": "SKU-1", "quantity": 0, "told_at": at}
    figure |= {"acknowledged": False, "attempts": 3, "error": f"marketplace said 503 {XSS}"}
    listed: list[dict[str, Any]] = []

    def answer(body: Any) -> Callable[[Any], None]:
        return lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(body()))

    page.route("**/v1/admin/channels", answer(lambda: {"channels": listed}))
    page.route("**/v1/admin/channels/lazada-ph/stock", answer(lambda: {"channel_id": "lazada-ph", "skus": [figure]}))
    sign_in(page, api)
    page.goto(f"{api.base}/console#/channels")
    page.get_by_text("No channels yet.").wait_for()

    listed.append(channel)
    page.goto(f"{api.base}/console#/channels?channel=lazada-ph")
    row = page.get_by_role("row").filter(has_text="lazada-ph")
    row.wait_for()
    assert row.get_by_role("cell").nth(4).inner_text() == "all"  # no list of skus: the storefront's every sku
    assert row.get_by_role("link", name="Stock of channel lazada-ph").get_attribute("aria-current") == "true"
    told_row = page.locator("section.channel-stock").get_by_role("row").filter(has_text="SKU-1")
    told_row.wait_for()
    assert "\u2717 no" in told_row.inner_text() and f"marketplace said 503 {XSS}" in told_row.inner_text()
    assert page.locator("main img").count() == 0  # the marketplace's error, as text

    page.goto(f"{api.base}/console#/channels?channel=no-such-channel")  # not stubbed: the API's 404
    page.get_by_role("alert").filter(has_text="No channel no-such-channel.").wait_for()
    assert page.get_by_role("button", name="Resync now").is_disabled()


def test_the_sale_page_spreads_a_sku_over_buckets_and_merges_it_back_with_the_same_figures(
    api: Api, page: Page
) -> None:
    sku = unique("SALE")
    api.stock_at("mnl-wh-1", sku, 12)
    api.stock_at("ceb-wh-1", sku, 3)
    sign_in(page, api)
    page.get_by_role("link", name="Sale").click()
    page.get_by_label("SKU").fill(sku)
    page.get_by_role("button", name="Show").click()
    page.get_by_role("table", name=f"Stock of {sku}, by location").wait_for()

    page.get_by_label(f"Buckets for {sku} at mnl-wh-1").fill("4")
    page.get_by_role("row", name="mnl-wh-1").get_by_role("button", name="Spread").click()
    page.get_by_text("mnl-wh-1: 12 of 12 available units in 4 buckets.").wait_for()
    row = page.get_by_role("row", name="mnl-wh-1")
    assert "4 (3 · 3 · 3 · 3)" in row.inner_text()
    shot(page, "sale")
    spread = next(lv for lv in api.stock(sku)["locations"] if lv["location_id"] == "mnl-wh-1")
    assert (spread["available"], spread["reserved"], sorted(spread["buckets"].values())) == (12, 0, [3, 3, 3, 3])

    # A sale with an end: the field takes the browser's local time, the API is sent UTC.
    ends = (datetime.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    page.get_by_label("Sale ends (optional: merged back then)").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(f"Buckets for {sku} at ceb-wh-1").fill("2")
    page.get_by_role("row", name="ceb-wh-1").get_by_role("button", name="Spread").click()
    utc = ends.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    page.get_by_text(f"ceb-wh-1: 3 of 3 available units in 2 buckets, merged back at {utc}").wait_for()

    reply = api.checkout(checkout_body((sku, 2)))
    assert reply.status_code == 201, reply.text
    page.get_by_role("row", name="mnl-wh-1").get_by_role("button", name="Merge back").click()
    page.get_by_text("mnl-wh-1: merged back, 10 available.").wait_for()
    merged = next(lv for lv in api.stock(sku)["locations"] if lv["location_id"] == "mnl-wh-1")
    assert (merged["on_hand"], merged["reserved"], merged["available"], merged.get("buckets")) == (12, 2, 10, None)
    assert "none" in page.get_by_role("row", name="mnl-wh-1").inner_text()


def test_dead_letters_lists_each_queue_with_its_redrive_button(api: Api, page: Page) -> None:
    sign_in(page, api)
    page.get_by_role("link", name="Dead letters").click()
    for queue in ("partner-events", "notifications"):
        page.get_by_role("button", name=f"Redrive {queue}").wait_for()
    shot(page, "dead-letters")


def test_a_refused_key_sends_the_operator_back_to_sign_in(api: Api, page: Page) -> None:
    page.goto(f"{api.base}/console")
    page.get_by_label("Admin API key").fill("sk_not_a_key")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("That key was refused.").wait_for()

    sign_in(page, api)
    page.evaluate("() => sessionStorage.setItem('oms.console.adminKey', 'sk_revoked')")
    page.get_by_role("link", name="Stock").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.url.endswith("#/sign-in")
    assert page.get_by_role("link", name="Orders").is_hidden()


def test_the_console_reads_at_phone_width(api: Api, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    try:
        phone = context.new_page()
        place(api, unique("CON"))
        phone.goto(f"{api.base}/console")
        phone.get_by_label("Admin API key").fill(ADMIN_KEY)
        phone.get_by_role("button", name="Sign in").click()
        phone.locator("main table").wait_for()
        # Nothing but the table's own scroller is wider than the screen.
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        shot(phone, "orders-phone")
    finally:
        context.close()
