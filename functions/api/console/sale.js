// Sale: one sku's stock at every location, and its spread over buckets for a flash sale (and back).
// Every API value is put on the page as text.

import { call, query } from "./api.js";
import { failure, h, loading, reason, show, table } from "./dom.js";

const MAX_BUCKETS = 32; // oms.domain.buckets.MAX_BUCKETS: a spread is one transaction
const SUGGESTED = 8;

const bucketPath = (location, sku) =>
  `/v1/admin/inventory/${encodeURIComponent(location)}/${encodeURIComponent(sku)}/buckets`;

/** "3 · 3 · 2 · 2" (the units ready in each bucket), or "none". */
function buckets(level) {
  const figures = Object.entries(level.buckets || {}).sort(([a], [b]) => Number(a) - Number(b)).map(([, n]) => n);
  if (!figures.length) return h("span", { class: "hint" }, "none");
  return [h("strong", {}, `${figures.length}`), h("span", { class: "hint" }, ` (${figures.join(" · ")})`)];
}

/** The sale's end as the API takes it (UTC), from the page's "Sale ends" field (the browser's local time). */
function endOf(field) {
  if (!field.value) return undefined;
  const at = new Date(field.value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** The spread control of one location: a count and "Spread", and "Merge back" while it is spread. */
function control(main, sku, level, reload, said, ends) {
  const spread = level.buckets && Object.keys(level.buckets).length;
  const count = h("input", { type: "number", min: "1", max: String(MAX_BUCKETS), value: String(spread || SUGGESTED),
    "aria-label": `Buckets for ${sku} at ${level.location_id}`, class: "bucket-count" });
  const go = h("button", { type: "button" }, spread ? "Spread again" : "Spread");
  const back = spread ? h("button", { type: "button" }, "Merge back") : null;

  async function put(n) {
    for (const button of [go, back]) if (button) button.disabled = true;
    said.className = "hint";
    show(said, n ? `Spreading ${sku} at ${level.location_id} over ${n} buckets…` : `Merging ${sku} at ${level.location_id} back…`);
    let outcome;
    let refused = false;
    try {
      const until = n ? endOf(ends) : undefined;
      const done = await call("PUT", bucketPath(level.location_id, sku), until ? { buckets: n, until } : { buckets: n });
      const held = Object.values(done.buckets || {}).reduce((a, b) => a + b, 0);
      outcome = n ? `${done.location_id}: ${held} of ${done.available} available units in ${n} buckets`
        + (until ? `, merged back at ${until}.` : ".") : `${done.location_id}: merged back, ${done.available} available.`;
    } catch (error) {
      if (error.name === "Unauthorized") return main.onUnauthorized(error);
      refused = true;
      outcome = `Refused: ${reason(error)}`;
    }
    try {
      await reload();
    } catch (error) {
      return main.onUnauthorized(error);
    }
    said.className = refused ? "error" : "hint";
    return show(said, outcome);
  }

  go.addEventListener("click", () => put(Number(count.value)));
  if (back) back.addEventListener("click", () => put(0));
  return h("span", { class: "actions" }, count, go, back);
}

function levelsTable(main, sku, levels, reload, said, ends) {
  return table([
    { label: "Location", cell: (l) => l.location_id },
    { label: "On hand", cell: (l) => String(l.on_hand), cls: () => "num" },
    { label: "Reserved", cell: (l) => String(l.reserved), cls: () => "num" },
    { label: "Available", cell: (l) => String(l.available), cls: () => "num" },
    { label: "Buckets", cell: buckets },
    { label: "Sale", cell: (l) => control(main, sku, l, reload, said, ends) },
  ], levels, `Stock of ${sku}, by location`);
}

export async function salePage(main, params) {
  const sku = params.sku || "";
  const input = h("input", { id: "f-sale-sku", name: "sku", value: sku, required: "", autocomplete: "off" });
  const form = h("form", { class: "filters", role: "search" },
    h("div", { class: "field" }, h("label", { for: "f-sale-sku" }, "SKU"), input),
    h("div", { class: "field actions" }, h("button", { type: "submit" }, "Show")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = `#/sale${query({ sku: input.value.trim() })}`;
    if (location.hash === next) window.dispatchEvent(new HashChangeEvent("hashchange"));
    else location.hash = next;
  });
  const ends = h("input", { id: "f-sale-ends", type: "datetime-local", name: "ends" });
  const endField = h("div", { class: "filters" }, h("div", { class: "field" },
    h("label", { for: "f-sale-ends" }, "Sale ends (optional: merged back then)"), ends));
  const said = h("p", { role: "status", class: "hint" });
  const holder = h("div", {}, sku ? loading() : h("p", { class: "empty" }, "Name a sku to see its stock."));
  show(main, h("h1", {}, "Sale"),
    h("p", { class: "hint" }, "Before a rush on one sku, spread its stock at a location over buckets: checkouts then "
      + "take units from any bucket, so they no longer queue on one record. Every figure stays the sum; "
      + "merge back when the sale is over."),
    form, sku ? endField : null, said, holder);
  if (!sku) return;

  async function reload() {
    try {
      const data = await call("GET", `/v1/admin/inventory/${encodeURIComponent(sku)}`);
      show(holder, data.locations.length ? levelsTable(main, sku, data.locations, reload, said, ends)
        : h("p", { class: "empty" }, `No location stocks ${sku}.`));
    } catch (error) {
      if (error.name === "Unauthorized") throw error;
      show(holder, failure(error));
    }
  }
  await reload();
}
