/**
 * The admin sign-in of the demo page: the admin token is typed into a password field, checked
 * with the server, kept in this tab's sessionStorage (gone when the tab closes) and sent as
 * `Authorization: Bearer …` with admin actions. Admin controls are shown only while signed in.
 */
import { ApiError, describeError, readError } from "./common.js";

/** Where the token is kept: this tab only. */
const TOKEN_KEY = "ragbridge.adminToken";

/** @type {Set<(signedIn: boolean) => void>} */
const listeners = new Set();
/** Used when sessionStorage throws (some private modes): this page only. */
let memory = "";

function read() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return memory;
  }
}

function write(value) {
  memory = value;
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Kept in memory only.
  }
  for (const listener of listeners) listener(Boolean(value));
}

/** The signed-in admin's token, or '' when nobody is signed in. */
export function adminToken() {
  return read();
}

/** The `Authorization` header of an admin request; empty when nobody is signed in. */
export function adminHeaders() {
  const token = read();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Calls `listener(signedIn)` at every sign-in and sign-out. */
export function onAdminChange(listener) {
  listeners.add(listener);
}

/** Forgets the token (sign-out, or a token the server no longer accepts). */
export function signOut() {
  write("");
}

/**
 * Checks `token` with the server (`GET /api/admin`, which needs the admin token) and signs in when
 * it is accepted. Resolves with a sentence for the page when it is not. A server without that check
 * (404) is taken at its word: the token is then checked by the first admin action.
 * @param {string} token
 * @returns {Promise<{ ok: true, checked: boolean } | { ok: false, message: string }>}
 */
export async function signIn(token) {
  const value = token.trim();
  if (!value) return { ok: false, message: "Type the admin token first." };
  let res;
  try {
    res = await fetch("/api/admin", {
      headers: { Accept: "application/json", Authorization: `Bearer ${value}` },
    });
  } catch {
    return {
      ok: false,
      message:
        "Could not reach the server. Check the connection and try again.",
    };
  }
  if (res.ok || res.status === 404) {
    write(value);
    return { ok: true, checked: res.ok };
  }
  const err = await readError(res);
  return { ok: false, message: adminRefusal(err) ?? describeError(err) };
}

/**
 * A sentence for an admin request the server refused, or undefined when the refusal was not about
 * the token. A refused token signs the admin out: the next action asks for it again.
 * @param {unknown} err
 * @returns {string | undefined}
 */
export function adminRefusal(err) {
  if (!(err instanceof ApiError)) return undefined;
  if (err.status === 403 && err.code === "admin_disabled")
    return "Admin actions are switched off on this server: it has no admin token configured.";
  if (err.status === 401 || err.status === 403) {
    if (read()) signOut();
    return "The admin token was not accepted. Sign in again.";
  }
  if (err.status === 429)
    return `Too many attempts. ${
      err.retryAfterSeconds
        ? `Try again in ${err.retryAfterSeconds} s.`
        : "Wait a moment."
    }`;
  return undefined;
}
