// The console's hash router: #/sign-in, #/orders, #/orders/<id>, #/review, #/returns, #/stock, #/supply,
// #/sale, #/channels, #/dead-letters.

import { adminKey, signOut } from "./api.js";
import { channelsPage } from "./channels.js";
import { deadLettersPage, orderPage, ordersPage, reviewPage, signInPage, stockPage, supplyPage } from "./pages.js";
import { returnsPage } from "./returns.js";
import { salePage } from "./sale.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let notice = null; // why we are back at sign-in

function parse() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: Object.fromEntries(new URLSearchParams(search)) };
}

function toSignIn(message) {
  notice = message;
  if (location.hash !== "#/sign-in") location.hash = "#/sign-in";
  else render();
}

const onUnauthorized = (error) => {
  if (error && error.name === "Unauthorized") toSignIn(error.message);
};

/** A fresh view per navigation: a page still loading when the operator moves on renders into a detached
 * element, so a slow answer can never overwrite the page that replaced it. */
function freshView() {
  const view = document.createElement("div");
  view.onUnauthorized = onUnauthorized;
  main.replaceChildren(view);
  return view;
}

async function render() {
  const { parts, params } = parse();
  const signedIn = Boolean(adminKey());
  nav.hidden = !signedIn;
  for (const link of nav.querySelectorAll("a")) {
    const current = link.getAttribute("href") === `#/${parts[0] === "orders" && parts[1] ? "orders" : parts[0]}`;
    if (current) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if (!signedIn || parts[0] === "sign-in") {
    if (signedIn && parts[0] === "sign-in") { location.hash = "#/orders"; return; }
    const message = notice;
    notice = null;
    document.title = "Sign in · OMS console";
    signInPage(freshView(), params, { message, done: () => { location.hash = "#/orders"; } });
    return;
  }
  const context = { rerender: render, id: parts[1] };
  const pages = { orders: parts[1] ? orderPage : ordersPage, review: reviewPage, returns: returnsPage,
    stock: stockPage, sale: salePage, supply: supplyPage, channels: channelsPage, "dead-letters": deadLettersPage };
  const page = pages[parts[0]];
  if (!page) { location.hash = "#/orders"; return; }
  document.title = `${parts[1] ? `Order ${parts[1]}` : nav.querySelector(`a[href="#/${parts[0]}"]`).textContent} · OMS console`;
  try {
    await page(freshView(), params, context);
  } catch (error) {
    if (error.name === "Unauthorized") toSignIn(error.message);
    else throw error;
  }
}

document.getElementById("sign-out").addEventListener("click", () => {
  signOut();
  toSignIn("Signed out.");
});
window.addEventListener("hashchange", () => { render(); main.focus({ preventScroll: true }); });
render();
