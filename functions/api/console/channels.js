// Channels: each storefront's marketplaces, what each was last told of each sku, and a resync on demand.
// Every API value is put on the page as text.

import { call, query } from "./api.js";
import { failure, h, loading, reason, show, table, when } from "./dom.js";

const channelPath = (id) => `/v1/admin/channels/${encodeURIComponent(id)}`;
const SHOWN_SKUS = 12; // a channel may list thousands: the rest are counted, not printed

function buffer(channel) {
  const b = channel.buffer || {};
  const units = b.units ?? 0;
  return `${units} unit${units === 1 ? "" : "s"} / ${b.percent ?? 0} %`;
}

/** The listed skus, each kept on one line of the cell, or "all" when the channel sells the whole storefront. */
function skus(channel) {
  if (channel.skus === null || channel.skus === undefined) return h("span", { class: "hint" }, "all");
  if (!channel.skus.length) return h("span", { class: "hint" }, "none");
  const shown = channel.skus.slice(0, SHOWN_SKUS).map((sku) => h("span", { class: "unit" }, sku));
  const more = channel.skus.length - shown.length;
  return [shown.flatMap((part, i) => (i ? [", ", part] : [part])), more > 0 ? ` and ${more} more` : null];
}

function stockLink(channel, open) {
  const id = channel.channel_id;
  return h("a", { href: `#/channels${query({ channel: id })}`, class: "open", "aria-label": `Stock of channel ${id}`,
    "aria-current": id === open ? "true" : null }, "Stock");
}

function channelsTable(rows, open) {
  return table([
    { label: "Channel", cell: (c) => c.channel_id },
    { label: "Storefront", cell: (c) => c.storefront_id },
    { label: "Marketplace partner", cell: (c) => c.partner_id },
    { label: "Buffer", cell: buffer, cls: () => "nowrap" },
    { label: "SKUs", cell: skus },
    { label: "Updated", cell: (c) => when(c.updated_at) },
    { label: "Stock told", cell: (c) => stockLink(c, open) },
  ], rows, "Channels, by id");
}

/** "✓ yes", or "✗ no" and the marketplace's error when it gave one. */
function acknowledged(told) {
  if (told.acknowledged) return h("span", { class: "ack yes" }, "✓ yes");
  return [h("span", { class: "ack no" }, "✗ no"), told.error ? h("span", { class: "ack-error" }, told.error) : null];
}

function toldTable(rows, id) {
  return table([
    { label: "SKU", cell: (t) => t.sku },
    { label: "Quantity told", cell: (t) => String(t.quantity), cls: () => "num" },
    { label: "When", cell: (t) => when(t.told_at) },
    { label: "Acknowledged", cell: acknowledged, cls: (t) => (t.acknowledged ? null : "unacked") },
    { label: "Attempts", cell: (t) => String(t.attempts ?? "—"), cls: () => "num" },
  ], rows, `What channel ${id} was last told, by sku`);
}

/** The open channel's section: its last-told table and "Resync now", which sends every figure again. */
function stockSection(main, id) {
  const said = h("p", { role: "status", class: "hint" });
  const holder = h("div", {}, loading());
  const resync = h("button", { type: "button" }, "Resync now"); // the section's heading names the channel
  const section = h("section", { class: "channel-stock", "aria-labelledby": "channel-stock-title" },
    h("h2", { id: "channel-stock-title" }, "Stock told to ", h("span", { class: "mono" }, id)),
    h("div", { class: "actions" }, resync,
      h("span", { class: "hint" }, "Sends the channel every figure again now (a full resync also runs on a schedule).")),
    said, holder);

  async function load() {
    try {
      const data = await call("GET", `${channelPath(id)}/stock`);
      show(holder, data.skus.length ? toldTable(data.skus, id)
        : h("p", { class: "empty" }, "Nothing told to this channel yet."));
      resync.disabled = false;
    } catch (error) {
      if (error.name === "Unauthorized") throw error;
      resync.disabled = error.status === 404;
      show(holder, error.status === 404 ? h("p", { class: "error", role: "alert" }, `No channel ${id}.`)
        : failure(error));
    }
  }

  /** POST the resync, reload the table, then say what came of it: the line never describes a stale table. */
  resync.addEventListener("click", async () => {
    resync.disabled = true;
    said.className = "hint";
    show(said, `Sending every figure to ${id} again…`);
    let outcome;
    let refused = false;
    try {
      const done = await call("POST", `${channelPath(id)}/resync`);
      outcome = `Sent ${done.published} figure${done.published === 1 ? "" : "s"} again to ${done.channel_id}.`;
    } catch (error) {
      if (error.name === "Unauthorized") return main.onUnauthorized(error);
      refused = true;
      outcome = `Resync refused: ${reason(error)}`;
    }
    try {
      await load();
    } catch (error) {
      return main.onUnauthorized(error);
    }
    said.className = refused ? "error" : "hint";
    return show(said, outcome);
  });

  resync.disabled = true;
  return { section, load };
}

export async function channelsPage(main, params) {
  const open = params.channel || "";
  const holder = h("div", {}, loading());
  const stock = open ? stockSection(main, open) : null;
  show(main, h("h1", {}, "Channels"),
    h("p", { class: "hint" }, "Each storefront's marketplaces. A channel is offered what its storefront can sell less "
      + "its buffer (the larger of the units and the percent); open its stock to see what it was last told."),
    holder, stock ? stock.section : null);

  async function list() {
    try {
      const data = await call("GET", "/v1/admin/channels");
      show(holder, data.channels.length ? channelsTable(data.channels, open)
        : h("p", { class: "empty" }, "No channels yet."));
    } catch (error) {
      if (error.name === "Unauthorized") throw error;
      show(holder, failure(error));
    }
  }

  await Promise.all([list(), stock ? stock.load() : null]);
  if (stock) stock.section.scrollIntoView({ block: "nearest" });
}
