// Building DOM safely: every value becomes a text node or an attribute, never parsed as HTML.

/** h("a", {href: "#/x", class: "c"}, "text", child) -> an element; strings are text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace the contents of `el` with `children`. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** A table of `rows` with `columns`: [{label, cell: row => Node|string, cls?: row => string}]. */
export function table(columns, rows, caption) {
  return h("div", { class: "scroll" },
    h("table", {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h("tbody", {}, rows.map((row) =>
        h("tr", {}, columns.map((c) => h("td", { class: c.cls ? c.cls(row) : null, "data-label": c.label }, c.cell(row))))))));
}

/** Minor units (centavos) as an amount: 59900 PHP -> "PHP 599.00". */
export function money(minor, currency = "") {
  const value = (Number(minor || 0) / 100).toFixed(2);
  return currency ? `${currency} ${value}` : value;
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

export function failure(error) {
  return h("p", { class: "error", role: "alert" }, `Could not load: ${error.message}`);
}

/** A status as a coloured badge (the class keeps only [a-z_] of the value). */
export function badge(status) {
  return h("span", { class: `badge s-${String(status).replace(/[^a-z_]/g, "")}` }, status);
}

/** Why a call failed, for the operator: the problem's detail when the API gave one. */
export function reason(error) {
  return (error.problem && (error.problem.detail || error.problem.title)) || error.message;
}
