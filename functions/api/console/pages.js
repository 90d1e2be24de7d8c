// The console's pages: each renders into `main` from the admin API, with text nodes only.

import { call, query, signIn } from "./api.js";
import { badge, failure, h, loading, money, reason, show, table, when } from "./dom.js";
import { orderReturns } from "./returns.js";

const STATUSES = ["accepted", "on_hold", "processing", "partially_shipped", "shipped", "delivered", "completed",
  "cancelled", "rejected"];
const STOCK = ["out", "low", "ok", "over"];

function field(label, name, value, attrs = {}) {
  const id = `f-${name}`;
  return h("div", { class: "field" }, h("label", { for: id }, label),
    h("input", { id, name, value: value || "", autocomplete: "off", ...attrs }));
}

function choice(label, name, value, options) {
  const id = `f-${name}`;
  return h("div", { class: "field" }, h("label", { for: id }, label),
    h("select", { id, name }, h("option", { value: "" }, "any"),
      options.map((o) => h("option", { value: o, selected: o === value }, o))));
}

function filterForm(route, params, fields) {
  const form = h("form", { class: "filters", role: "search" }, fields,
    h("div", { class: "field actions" }, h("button", { type: "submit" }, "Search")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    location.hash = `#/${route}${query(values)}`;
    if (query(values) === query(params)) window.dispatchEvent(new HashChangeEvent("hashchange"));
  });
  return form;
}

/** A paged list: `load(cursor)` -> {rows, next_cursor}; "Load more" appends the next page's rows. */
async function paged(main, heading, before, load, render) {
  const holder = h("div", {}, loading());
  const more = h("button", { type: "button", class: "more", hidden: true }, "Load more");
  show(main, h("h1", {}, heading), before, holder, more);
  let rows = [];
  let cursor = null;
  async function next() {
    more.disabled = true;
    try {
      const page = await load(cursor);
      rows = rows.concat(page.rows);
      cursor = page.next_cursor || null;
      show(holder, rows.length ? render(rows) : h("p", { class: "empty" }, "Nothing matches."));
      more.hidden = !cursor;
    } catch (error) {
      if (error.name === "Unauthorized") throw error;
      show(holder, rows.length ? render(rows) : null, failure(error));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", () => next().catch(main.onUnauthorized));
  await next();
}

// Sign-in ------------------------------------------------------------------------------------------

export function signInPage(main, _params, { message, done }) {
  const input = h("input", { id: "admin-key", name: "key", type: "password", required: true, autocomplete: "off",
    spellcheck: "false" });
  const status = h("p", { class: message ? "error" : "hint", role: "status" },
    message || "The key stays in this tab only (session storage) and is sent as a Bearer token.");
  const form = h("form", { class: "sign-in" }, h("label", { for: "admin-key" }, "Admin API key"), input,
    h("button", { type: "submit" }, "Sign in"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    signIn(input.value.trim());
    show(status, "Checking the key…");
    status.className = "hint";
    try {
      await call("GET", "/v1/admin/locations?limit=1");
      done();
    } catch (error) {
      status.className = "error";
      show(status, error.name === "Unauthorized" ? "That key was refused." : `Sign-in failed: ${error.message}`);
    }
  });
  show(main, h("h1", {}, "Sign in"), form);
  input.focus();
}

// Orders -------------------------------------------------------------------------------------------

function orderTable(rows, caption) {
  return table([
    { label: "Order", cell: (o) => h("a", { href: `#/orders/${encodeURIComponent(o.order_id)}` }, o.order_id) },
    { label: "Created", cell: (o) => when(o.created_at) },
    { label: "Storefront", cell: (o) => o.storefront_id },
    { label: "Customer", cell: (o) => (o.customer && o.customer.email) || "—" },
    { label: "Ship to", cell: (o) => (o.shipping_address && o.shipping_address.name) || "—" },
    { label: "Status", cell: (o) => badge(o.status) },
    { label: "Total", cell: (o) => money(o.totals && o.totals.total, o.currency), cls: () => "num" },
  ], rows, caption);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The shown orders counted by status, each count a link that filters the list by it (the other filters kept). */
function statusCounts(rows, filters) {
  const counts = new Map();
  for (const o of rows) counts.set(o.status, (counts.get(o.status) || 0) + 1);
  const order = [...STATUSES, ...[...counts.keys()].filter((s) => !STATUSES.includes(s)).sort()];
  return h("nav", { class: "counts", "aria-label": "Order counts on this page" },
    h("span", { class: "hint" }, "On this page:"),
    order.filter((s) => counts.has(s)).map((s) =>
      h("a", { href: `#/orders${query({ ...filters, status: s })}`, class: `count-link badge s-${String(s).replace(/[^a-z_]/g, "")}`,
        "data-status": s, "aria-current": s === filters.status ? "true" : null }, `${s} ${counts.get(s)}`)));
}

export async function ordersPage(main, params) {
  const day = (value) => (DAY.test(value || "") ? value : "");
  const form = filterForm("orders", params, [
    field("Search (order id, email, PO)", "q", params.q, { type: "search" }),
    choice("Status", "status", params.status, STATUSES),
    field("Storefront", "storefront_id", params.storefront_id),
    field("SKU", "sku", params.sku),
    field("Location", "location_id", params.location_id),
    field("Created after", "created_after", day(params.created_after), { type: "date" }),
    field("Created before", "created_before", day(params.created_before), { type: "date" }),
  ]);
  const filters = { q: params.q, status: params.status, storefront_id: params.storefront_id, sku: params.sku,
    location_id: params.location_id, created_after: day(params.created_after),
    created_before: day(params.created_before) };
  await paged(main, "Orders", form, async (cursor) => {
    const page = await call("GET", `/v1/admin/orders${query({ ...filters, cursor })}`);
    return { rows: page.orders, next_cursor: page.next_cursor };
  }, (rows) => [statusCounts(rows, filters), orderTable(rows, "Orders, newest first")]);
}

export async function reviewPage(main) {
  await paged(main, "Review queue",
    h("p", { class: "hint" }, "Orders held for fraud review (status on_hold): open one to approve or reject it."),
    async (cursor) => {
      const page = await call("GET", `/v1/admin/orders${query({ status: "on_hold", cursor })}`);
      return { rows: page.orders, next_cursor: page.next_cursor };
    }, (rows) => orderTable(rows, "Held orders"));
}

// Order --------------------------------------------------------------------------------------------

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

function json(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

/** "Cancel order", then a confirm step in the page ("Confirm cancel" / "Keep order"): never window.confirm. */
function cancelControl(main, id, actions, said, rerender) {
  const box = h("span", { class: "cancel" });
  const ask = h("button", { type: "button", class: "reject" }, "Cancel order");
  const confirm = h("button", { type: "button", class: "reject" }, "Confirm cancel");
  const keep = h("button", { type: "button" }, "Keep order");
  const first = () => { show(box, ask); ask.focus(); };
  ask.addEventListener("click", () => {
    show(box, h("span", {}, "Cancel this order and release its stock and payment? "), confirm, keep);
    keep.focus();
  });
  keep.addEventListener("click", () => { said.className = "hint"; show(said); first(); });
  confirm.addEventListener("click", async () => {
    for (const b of actions.querySelectorAll("button")) b.disabled = true;
    said.className = "hint";
    show(said, "Cancelling…");
    try {
      const cancelled = await call("POST", `/v1/admin/orders/${encodeURIComponent(id)}/cancel`);
      show(said, `Order cancelled: status ${cancelled.status}.`);
      rerender();
    } catch (error) {
      if (error.name === "Unauthorized") return main.onUnauthorized(error);
      said.className = "error";
      show(said, `Cancel refused: ${reason(error)}`);
      for (const b of actions.querySelectorAll("button")) b.disabled = false;
      first();
    }
  });
  show(box, ask);
  return box;
}

/** Each shipment as a row: from its location to the shipping address's city, with its status (text only). */
function shipmentDiagram(shipments, address) {
  if (!shipments || !shipments.length) return null;
  const city = address.city || address.region || address.country || "—";
  return h("ul", { class: "routes", "aria-label": "Shipment routes" }, shipments.map((s) =>
    h("li", { class: "route", "data-shipment": s.shipment_id },
      "from ", h("strong", { class: "from" }, s.location_id || "—"), " → ", h("strong", { class: "to" }, city), " ",
      badge(s.status), h("span", { class: "hint" }, ` · shipment ${s.shipment_id}`))));
}

export async function orderPage(main, _params, { id, rerender }) {
  show(main, h("h1", {}, "Order ", id), loading());
  let order;
  try {
    order = await call("GET", `/v1/admin/orders/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.name === "Unauthorized") throw error;
    show(main, h("p", {}, h("a", { href: "#/orders" }, "← Orders")), h("h1", {}, "Order ", id), failure(error));
    return;
  }
  const cur = order.currency;
  const address = order.shipping_address || {};
  const payment = order.payment || {};
  const actions = h("div", { class: "actions" });
  const said = h("p", { role: "status", class: "hint" });
  if (order.status === "on_hold") {
    const decide = (decision) => async () => {
      for (const b of actions.querySelectorAll("button")) b.disabled = true;
      show(said, `Sending ${decision}…`);
      try {
        await call("POST", `/v1/admin/orders/${encodeURIComponent(id)}/review`, { decision });
        rerender();
      } catch (error) {
        if (error.name === "Unauthorized") return main.onUnauthorized(error);
        said.className = "error";
        show(said, `${decision} failed: ${error.message}`);
        for (const b of actions.querySelectorAll("button")) b.disabled = false;
      }
    };
    show(actions, h("span", {}, "Held for review: "),
      h("button", { type: "button", class: "approve", onclick: decide("approve") }, "Approve"),
      h("button", { type: "button", class: "reject", onclick: decide("reject") }, "Reject"));
  }
  const shipped = (order.shipments || []).some((s) => ["shipped", "delivered", "packed"].includes(s.status));
  if (["accepted", "on_hold", "processing"].includes(order.status) && !shipped) {
    actions.append(cancelControl(main, id, actions, said, rerender));
  }
  const seen = order.partner_events_seen || { applied: [], refused: [] };
  show(main,
    h("p", {}, h("a", { href: "#/orders" }, "← Orders")),
    h("h1", {}, "Order ", h("span", { class: "mono" }, order.order_id), " ", badge(order.status)),
    order.reason ? h("p", { class: "reason" }, "Reason: ", order.reason) : null,
    actions, said,
    h("div", { class: "grid" },
      h("section", {}, h("h2", {}, "Summary"), facts([
        ["Storefront", order.storefront_id], ["Created", when(order.created_at)], ["Updated", when(order.updated_at)],
        ["Customer", `${order.customer.email || order.customer.id} (${order.customer.type || "—"})`],
        ["PO number", order.po_number], ["Service level", order.service_level],
        ["Ship to", [address.name, address.line1, address.city, address.region, address.postal_code, address.country]
          .filter(Boolean).join(", ")],
        ["Total", money(order.totals.total, cur)],
      ])),
      h("section", {}, h("h2", {}, "Payment"), facts([
        ["Method", payment.method], ["Status", payment.status],
        ["Authorized", money(payment.authorized, cur)], ["Captured", money(payment.captured, cur)],
        ["Refunded", money(payment.refunded, cur)], ["Failure", payment.failure],
      ]))),
    h("section", {}, h("h2", {}, "Lines"), table([
      { label: "SKU", cell: (l) => l.sku }, { label: "Qty", cell: (l) => l.quantity, cls: () => "num" },
      { label: "Unit price", cell: (l) => money(l.unit_price, cur), cls: () => "num" },
      { label: "Line total", cell: (l) => money(l.line_total, cur), cls: () => "num" },
    ], order.lines)),
    h("section", {}, h("h2", {}, "Shipments"), shipmentDiagram(order.shipments, address), order.shipments.length ? table([
      { label: "Shipment", cell: (s) => s.shipment_id }, { label: "From", cell: (s) => s.location_id },
      { label: "Status", cell: (s) => badge(s.status) },
      { label: "Lines", cell: (s) => s.lines.map((l) => `${l.sku} × ${l.quantity}`).join(", ") },
      { label: "Carrier", cell: (s) => [s.carrier, s.tracking_number].filter(Boolean).join(" ") || "—" },
      { label: "Promised by", cell: (s) => when(s.promised_by) },
      // Backordered units not in yet (and why a shipment is held), so an operator sees what it waits for.
      { label: "Waiting for", cell: (s) => [
        ...(s.awaiting || []).map((u) => `${u.sku} × ${u.quantity} on ${u.inbound_id} (${when(u.expected_at)})`),
        s.issue || "",
      ].filter(Boolean).join("; ") || "—" },
    ], order.shipments) : h("p", { class: "empty" }, "No shipments.")),
    orderReturns(main, order),
    h("section", {}, h("h2", {}, "Timeline"), h("ol", { class: "timeline" }, (order.timeline || []).map((t) =>
      h("li", {}, h("time", { datetime: t.at }, when(t.at)), " ", h("strong", {}, t.type),
        t.detail && Object.keys(t.detail).length ? h("span", { class: "detail" }, " ", JSON.stringify(t.detail)) : null)))),
    h("section", {}, h("h2", {}, "Partner events seen"),
      h("p", {}, `Applied (${seen.applied.length}): `, seen.applied.join(", ") || "none"),
      seen.refused.length ? json(seen.refused) : h("p", {}, "Refused: none")),
    h("section", {}, h("h2", {}, "Routing explanation"),
      order.routing && Object.keys(order.routing).length ? json(order.routing) : h("p", { class: "empty" }, "None recorded.")),
  );
}

// Stock --------------------------------------------------------------------------------------------

function stockMatrix(levels, main) {
  const skus = [...new Set(levels.map((l) => l.sku))].sort();
  const places = [...new Set(levels.map((l) => l.location_id))].sort();
  const at = new Map(levels.map((l) => [`${l.sku}\u0000${l.location_id}`, l]));
  return h("div", { class: "scroll" }, h("table", { class: "matrix" },
    h("caption", {}, "Stock health: SKU × location"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "SKU"), places.map((p) => h("th", { scope: "col" }, p)))),
    h("tbody", {}, skus.map((sku) => h("tr", {}, h("th", { scope: "row" }, sku), places.map((place) => {
      const l = at.get(`${sku}\u0000${place}`);
      if (!l) return h("td", { class: "none" }, "—");
      const cover = l.days_of_cover === null || l.days_of_cover === undefined ? "∞" : Number(l.days_of_cover).toFixed(1);
      return h("td", { class: `cell st-${STOCK.includes(l.status) ? l.status : "ok"}`, "data-sku": sku, "data-location": place },
        h("strong", {}, l.status),
        h("span", {}, `on hand ${l.on_hand} · reserved ${l.reserved ?? 0} · avail ${l.available}`),
        h("span", {}, `incoming ${l.incoming} · cover ${cover} d`),
        suggestion(main, sku, place, l.suggestion));
    }))))));
}

function supplyLink(kind, id) {
  return h("a", { href: `#/supply${query({ [kind]: id })}` }, `${kind === "inbound" ? "Inbound" : "Transfer"} ${id}`);
}

/** A level's suggestion: a transfer is a button that requests it (on the destination's cell "from" the source,
 * on the source's "to" the destination: one transfer, so requesting it retires both buttons), a reorder is text. */
function suggestion(main, sku, place, s) {
  if (!s || typeof s !== "object") return null;
  if (s.type === "reorder") return h("span", { class: "suggest" }, `Reorder ${s.quantity}`);
  if (s.type !== "transfer") return null;
  const said = h("span", { class: "suggest-said", role: "status" });
  const key = JSON.stringify([sku, s.from_location_id, s.to_location_id, s.quantity]);
  const label = place === s.from_location_id && place !== s.to_location_id
    ? `Transfer ${s.quantity} to ${s.to_location_id}` : `Transfer ${s.quantity} from ${s.from_location_id}`;
  const button = h("button", { type: "button", class: "suggest", "data-suggestion": key }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    said.className = "suggest-said";
    show(said, "Requesting…");
    try {
      const transfer = await call("POST", "/v1/admin/transfers", {
        from_location_id: s.from_location_id, to_location_id: s.to_location_id,
        lines: [{ sku, quantity: s.quantity }], reason: "accepted from a suggestion",
      });
      for (const same of main.querySelectorAll("button.suggest")) {
        if (same.getAttribute("data-suggestion") === key) same.hidden = true;
      }
      show(said, "Requested: ", supplyLink("transfer", transfer.transfer_id));
    } catch (error) {
      if (error.name === "Unauthorized") return main.onUnauthorized(error);
      said.className = "suggest-said error";
      show(said, `Transfer refused: ${reason(error)}`);
      button.disabled = false;
    }
  });
  return h("span", { class: "suggest" }, button, said);
}

export async function stockPage(main, params) {
  const form = filterForm("stock", params, [
    field("Location", "location_id", params.location_id),
    field("SKU", "sku", params.sku),
    choice("Status", "status", params.status, STOCK),
  ]);
  const legend = h("p", { class: "legend" }, STOCK.map((s) => h("span", { class: `key st-${s}` }, s)));
  await paged(main, "Stock", [form, legend], async (cursor) => {
    const page = await call("GET", `/v1/admin/stock-health${query({ location_id: params.location_id, sku: params.sku,
      status: params.status, limit: "100", cursor })}`);
    return { rows: page.levels, next_cursor: page.next_cursor };
  }, (rows) => stockMatrix(rows, main));
}

// Supply -------------------------------------------------------------------------------------------

function discrepancies(list) {
  if (!list || !list.length) return h("p", { class: "empty" }, "No discrepancies.");
  return table([
    { label: "Kind", cell: (d) => String(d.kind ?? "—") },
    { label: "SKU", cell: (d) => String(d.sku ?? "—") },
    { label: "Units", cell: (d) => String(d.quantity ?? "—"), cls: () => "num" },
    { label: "When", cell: (d) => when(d.at) },
  ], list, "Discrepancies");
}

function inboundView(inbound) {
  return h("section", { class: "record", "aria-labelledby": "record-title" },
    h("h2", { id: "record-title" }, "Inbound ", h("span", { class: "mono" }, inbound.inbound_id), " ", badge(inbound.status)),
    facts([["Location", inbound.location_id], ["Supplier", inbound.supplier], ["Expected", when(inbound.expected_at)],
      ["Status", inbound.status], ["Created", when(inbound.created_at)], ["Updated", when(inbound.updated_at)]]),
    h("h3", {}, "Lines"),
    table([
      { label: "SKU", cell: (l) => l.sku }, { label: "Ordered", cell: (l) => l.quantity, cls: () => "num" },
      { label: "Received", cell: (l) => l.received, cls: () => "num" },
    ], inbound.lines || []),
    h("h3", {}, "Discrepancies"), discrepancies(inbound.discrepancies));
}

function transferView(transfer) {
  return h("section", { class: "record", "aria-labelledby": "record-title" },
    h("h2", { id: "record-title" }, "Transfer ", h("span", { class: "mono" }, transfer.transfer_id), " ",
      badge(transfer.status)),
    facts([["From", transfer.from_location_id], ["To", transfer.to_location_id], ["Status", transfer.status],
      ["Reason", transfer.reason], ["Created", when(transfer.created_at)], ["Shipped", when(transfer.shipped_at)],
      ["Received", when(transfer.received_at)]]),
    h("h3", {}, "Lines"),
    table([
      { label: "SKU", cell: (l) => l.sku }, { label: "Requested", cell: (l) => l.quantity, cls: () => "num" },
      { label: "Shipped", cell: (l) => l.shipped, cls: () => "num" },
      { label: "Received", cell: (l) => l.received, cls: () => "num" },
    ], transfer.lines || []),
    h("h3", {}, "Discrepancies"), discrepancies(transfer.discrepancies));
}

function lookupForm(kind, id) {
  const select = h("select", { id: "f-kind", name: "kind" },
    ["transfer", "inbound"].map((k) => h("option", { value: k, selected: k === kind }, k)));
  const input = h("input", { id: "f-record-id", name: "id", value: id || "", required: true, autocomplete: "off",
    spellcheck: "false" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Look up an inbound or a transfer" },
    h("div", { class: "field" }, h("label", { for: "f-kind" }, "Kind"), select),
    h("div", { class: "field" }, h("label", { for: "f-record-id" }, "Inbound or transfer id"), input),
    h("div", { class: "field actions" }, h("button", { type: "submit" }, "Look up")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const target = `#/supply${query({ [select.value]: input.value.trim() })}`;
    if (location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else location.hash = target;
  });
  return form;
}

function transferForm(main, result) {
  const said = h("p", { role: "status", class: "hint" });
  const number = { type: "number", min: "1", step: "1", inputmode: "numeric", required: true };
  const form = h("form", { class: "filters", "aria-label": "Request a transfer" },
    field("From location", "from_location_id", "", { required: true }),
    field("To location", "to_location_id", "", { required: true }),
    field("SKU", "sku", "", { required: true }),
    field("Quantity", "quantity", "", number),
    h("div", { class: "field actions" }, h("button", { type: "submit" }, "Request transfer")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    const button = form.querySelector("button");
    button.disabled = true;
    said.className = "hint";
    show(said, "Requesting…");
    try {
      const transfer = await call("POST", "/v1/admin/transfers", {
        from_location_id: String(v.from_location_id).trim(), to_location_id: String(v.to_location_id).trim(),
        lines: [{ sku: String(v.sku).trim(), quantity: Number(v.quantity) }], reason: "requested from the console",
      });
      show(said, "Requested: ", supplyLink("transfer", transfer.transfer_id));
      show(result, transferView(transfer));
      main.querySelector("#f-kind").value = "transfer"; // the lookup now names what is shown
      main.querySelector("#f-record-id").value = transfer.transfer_id;
    } catch (error) {
      if (error.name === "Unauthorized") return main.onUnauthorized(error);
      said.className = "error";
      show(said, `Transfer refused: ${reason(error)}`);
    } finally {
      button.disabled = false;
    }
  });
  return [form, said];
}

export async function supplyPage(main, params) {
  const kind = params.inbound ? "inbound" : "transfer";
  const id = params.inbound || params.transfer || "";
  const result = h("div", { class: "result" });
  show(main, h("h1", {}, "Supply"),
    h("section", {}, h("h2", {}, "Look up"), lookupForm(kind, id), result),
    h("section", {}, h("h2", {}, "New transfer"),
      h("p", { class: "hint" }, "The units are reserved at the source at once (refused if it has too few)."),
      transferForm(main, result)));
  if (!id) {
    show(result, h("p", { class: "empty" }, "Enter an inbound or transfer id."));
    return;
  }
  show(result, loading());
  try {
    const record = await call("GET", `/v1/admin/${kind === "inbound" ? "inbound" : "transfers"}/${encodeURIComponent(id)}`);
    show(result, kind === "inbound" ? inboundView(record) : transferView(record));
  } catch (error) {
    if (error.name === "Unauthorized") throw error;
    show(result, h("p", { class: "error", role: "alert" },
      error.status === 404 ? `No ${kind} ${id}.` : `Could not load: ${reason(error)}`));
  }
}

// Dead letters -------------------------------------------------------------------------------------

export async function deadLettersPage(main, _params, { rerender }) {
  show(main, h("h1", {}, "Dead letters"), loading());
  let data;
  try {
    data = await call("GET", "/v1/admin/dead-letters");
  } catch (error) {
    if (error.name === "Unauthorized") throw error;
    show(main, h("h1", {}, "Dead letters"), failure(error));
    return;
  }
  show(main, h("h1", {}, "Dead letters"), data.queues.map((q) => {
    const said = h("p", { role: "status", class: "hint" });
    const button = h("button", { type: "button", disabled: q.depth === 0 && q.messages.length === 0 },
      `Redrive ${q.queue}`);
    button.addEventListener("click", async () => {
      button.disabled = true;
      show(said, "Redriving…");
      try {
        const moved = await call("POST", `/v1/admin/dead-letters/${encodeURIComponent(q.queue)}/redrive`);
        show(said, `Moved ${moved.moved} message(s) back to ${moved.queue}.`);
        setTimeout(rerender, 1500);
      } catch (error) {
        if (error.name === "Unauthorized") return main.onUnauthorized(error);
        said.className = "error";
        show(said, `Redrive failed: ${error.message}`);
        button.disabled = false;
      }
    });
    return h("section", { class: "queue" }, h("h2", {}, q.queue, " ", h("span", { class: "count" }, `${q.depth} waiting`)),
      button, said,
      q.messages.length ? table([
        { label: "Message", cell: (m) => m.message_id }, { label: "Received", cell: (m) => m.received, cls: () => "num" },
        { label: "Body", cell: (m) => h("pre", { class: "json" }, JSON.stringify(m.body, null, 2)) },
      ], q.messages) : h("p", { class: "empty" }, "Empty."));
  }));
}
