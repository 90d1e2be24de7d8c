// The admin key (this tab's sessionStorage only: never persisted across tabs, never in a URL) and the API calls.

const KEY = "oms.console.adminKey";
let memoryKey = null; // when sessionStorage is unavailable

export class Unauthorized extends Error {
  constructor(message) { super(message); this.name = "Unauthorized"; }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && (problem.detail || problem.title) ? `${status} ${problem.code || ""} ${problem.detail || problem.title}`.replace(/\s+/g, " ") : `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function adminKey() {
  try { return sessionStorage.getItem(KEY) || memoryKey; } catch { return memoryKey; }
}

export function signIn(key) {
  memoryKey = key;
  try { sessionStorage.setItem(KEY, key); } catch { /* memory only */ }
}

export function signOut() {
  memoryKey = null;
  try { sessionStorage.removeItem(KEY); } catch { /* nothing kept */ }
}

/** A query string of the non-empty `params`. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Call the API with the admin key; a 401 signs out and throws Unauthorized (the router shows sign-in). */
export async function call(method, path, body) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${adminKey() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const reply = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
  });
  const text = await reply.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (reply.status === 401) {
    signOut();
    throw new Unauthorized("Your key was refused: sign in again.");
  }
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}
