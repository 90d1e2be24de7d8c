// Returns: the operators' list of returns to act on (decide one held for review, ask again for a refused
// refund) and an order's returns on its page. Every API value is put on the page as text.

import { call } from "./api.js";
import { badge, failure, h, loading, money, reason, show, table, when } from "./dom.js";

const returnPath = (id) => `/v1/admin/returns/${encodeURIComponent(id)}`;

/** "sku × n" per line, each kept on one line of the cell. */
function lines(ret) {
  const parts = (ret.lines || []).map((l) => h("span", { class: "unit" }, `${l.sku} × ${l.quantity}`));
  return parts.length ? parts.flatMap((part, i) => (i ? [", ", part] : [part])) : "—";
}

function refund(ret, currency) {
  return ret.refund ? money(ret.refund.total, currency) : "—";
}

function issue(ret) {
  if (!ret.issue) return "—";
  return `${ret.issue} (${ret.refund_attempts || 0} attempt${ret.refund_attempts === 1 ? "" : "s"})`;
}

function label(ret) {
  return ret.label ? [ret.label.carrier, ret.label.tracking_number].filter(Boolean).join(" ") : "—";
}

function orderLink(id) {
  return h("a", { href: `#/orders/${encodeURIComponent(id)}`, class: "mono" }, id);
}

const needsOperator = (ret) => ret.status === "requested" || (ret.status === "received" && Boolean(ret.issue));

/** A row's buttons: Approve / Reject while it waits for a decision (Reject first asks for a reason in the page,
 * then "Confirm reject" / "Keep return": never window.prompt), "Retry refund" while a refusal stands. */
function rowActions(ret, act) {
  const id = ret.return_id;
  const box = h("div", { class: "actions" });
  if (ret.status === "requested") {
    const approve = h("button", { type: "button", class: "approve", "aria-label": `Approve return ${id}` }, "Approve");
    const reject = h("button", { type: "button", class: "reject", "aria-label": `Reject return ${id}` }, "Reject");
    const first = () => { show(box, approve, reject); reject.focus(); };
    approve.addEventListener("click", () => act(box, id, "decision", { decision: "approve" }, "Approving",
      (r) => `Return ${id} approved: ${r.label ? `label ${label(r)}` : "no label yet"}.`));
    reject.addEventListener("click", () => {
      const input = h("input", { name: "reason", maxlength: "200", autocomplete: "off", placeholder: "e.g. worn",
        "aria-label": `Reason for rejecting return ${id}` });
      const confirm = h("button", { type: "button", class: "reject" }, "Confirm reject");
      const keep = h("button", { type: "button" }, "Keep return");
      confirm.addEventListener("click", () => {
        const why = input.value.trim();
        act(box, id, "decision", why ? { decision: "reject", reason: why } : { decision: "reject" }, "Rejecting",
          (r) => `Return ${id} rejected: ${r.reason || "no reason given"}.`);
      });
      input.addEventListener("keydown", (event) => { if (event.key === "Enter") confirm.click(); });
      keep.addEventListener("click", () => { box.classList.remove("reject-step"); first(); });
      box.classList.add("reject-step");
      show(box, h("label", { class: "field" }, "Reason for rejecting", input), confirm, keep);
      input.focus();
    });
    show(box, approve, reject);
  } else if (ret.issue) {
    const retry = h("button", { type: "button", "aria-label": `Retry refund of return ${id}` }, "Retry refund");
    retry.addEventListener("click", () => act(box, id, "refund", undefined, "Asking the provider again",
      (r) => (r.status === "refunded" ? `Return ${id} refunded: ${refund(r)}.`
        : `The refund of return ${id} is still waiting: ${r.issue || r.status}.`)));
    show(box, retry);
  }
  return box;
}

function returnsTable(rows, act) {
  return table([
    { label: "Return", cell: (r) => r.return_id },
    { label: "Order", cell: (r) => orderLink(r.order_id) },
    { label: "Status", cell: (r) => badge(r.status) },
    { label: "Lines", cell: lines },
    { label: "Refund", cell: (r) => refund(r), cls: () => "num" },
    { label: "Issue", cell: issue },
    { label: "Created", cell: (r) => when(r.created_at) },
    { label: "Action", cell: (r) => rowActions(r, act) },
  ], rows, "Returns waiting for an operator, oldest first");
}

export async function returnsPage(main) {
  const said = h("p", { role: "status", class: "hint" });
  const holder = h("div", {}, loading());
  show(main, h("h1", {}, "Returns"),
    h("p", { class: "hint" }, "Returns held for review (requested), and received returns whose refund the payment "
      + "provider refused. Amounts in the order's currency."),
    said, holder);

  async function load() {
    try {
      const data = await call("GET", "/v1/admin/returns");
      show(holder, data.returns.length ? returnsTable(data.returns, act)
        : h("p", { class: "empty" }, "No return waits for an operator."));
    } catch (error) {
      if (error.name === "Unauthorized") throw error;
      show(holder, failure(error));
    }
  }

  /** POST the step, say what came of it (or why it was refused), then reload the list either way. */
  async function act(box, id, step, body, doing, done) {
    for (const control of box.querySelectorAll("button, input")) control.disabled = true;
    said.className = "hint";
    show(said, `${doing} ${id}…`);
    try {
      const ret = await call("POST", `${returnPath(id)}/${step}`, body);
      show(said, done(ret));
    } catch (error) {
      if (error.name === "Unauthorized") return main.onUnauthorized(error);
      said.className = "error";
      show(said, `Return ${id}: refused: ${reason(error)}`);
    }
    return load().catch(main.onUnauthorized);
  }

  await load();
}

/** The order's Returns section. The admin order view has no list of returns, but its timeline names each one
 * (`detail.return_id`), and the admin route reads any return: so the section loads them after the page shows. */
export function orderReturns(main, order) {
  const ids = [...new Set((order.timeline || []).map((t) => t.detail && t.detail.return_id)
    .filter((id) => typeof id === "string" && id))];
  const holder = h("div", {});
  const section = h("section", { class: "order-returns" }, h("h2", {}, "Returns"), holder);
  if (!ids.length) {
    show(holder, h("p", { class: "empty" }, "No returns."));
    return section;
  }
  show(holder, loading());
  Promise.all(ids.map((id) => call("GET", returnPath(id)))).then((found) => {
    const waiting = found.some(needsOperator);
    show(holder,
      waiting ? h("p", { class: "hint" }, "A return waits for an operator: act on it in ",
        h("a", { href: "#/returns" }, "Returns"), ".") : null,
      table([
        { label: "Return", cell: (r) => r.return_id },
        { label: "Status", cell: (r) => badge(r.status) },
        { label: "Lines", cell: lines },
        { label: "Refund", cell: (r) => refund(r, order.currency), cls: () => "num" },
        { label: "Label", cell: label },
        { label: "Reason / issue", cell: (r) => [r.reason, r.issue].filter(Boolean).join("; ") || "—" },
        { label: "Created", cell: (r) => when(r.created_at) },
      ], found));
  }, (error) => {
    if (error.name === "Unauthorized") main.onUnauthorized(error);
    else show(holder, failure(error));
  });
  return section;
}
