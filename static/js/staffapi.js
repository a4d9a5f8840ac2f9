// Staff sign-in and the JSON API (docs/http-api.md): the session cookie is HttpOnly; the
// CSRF token from login or /api/auth/me goes with every state change.
import { $ } from "./dom.js";
import { has, t } from "./i18n.js";

export class StaffApi {
  constructor() {
    this.csrf = "";
    this.account = null;
  }

  async call(method, path, body) {
    const init = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") init.headers["X-CSRF-Token"] = this.csrf;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      return { ok: false, status: 0, body: { error: "unavailable" } };
    }
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, body: data };
  }

  get(path) { return this.call("GET", path); }

  async me() {
    const answer = await this.get("/api/auth/me");
    if (answer.ok) ({ account: this.account, csrf: this.csrf } = answer.body);
    return answer.ok;
  }

  async login(username, password) {
    const answer = await this.call("POST", "/api/auth/login", { username, password });
    if (answer.ok) ({ account: this.account, csrf: this.csrf } = answer.body);
    return answer;
  }

  async logout() {
    await this.call("POST", "/api/auth/logout", {});
    this.account = null;
    this.csrf = "";
  }
}

/** The staff error code's text in the user's language. */
export function staffError(code, reason) {
  const text = t(has(`error.${code}`) ? `error.${code}` : "error.generic");
  // The server's reason (a weak password's), with what to do about it.
  const why = reason && `error.password_weak_${reason}`;
  return why && has(why) ? `${text} ${t(why)}` : text;
}

/**
 * Wire the sign-in form shared by the console and the admin pages; calls onSignedIn once
 * the session is known (already signed in, or after a successful login).
 */
export async function signIn(api, onSignedIn) {
  $("signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("signin-error").textContent = "";
    const answer = await api.login($("username").value, $("password").value);
    $("password").value = "";
    if (!answer.ok) {
      const code = answer.body.error ?? "generic";
      $("signin-error").textContent = code === "too_many_attempts"
        ? t("error.too_many_attempts", { s: answer.body.retry_after ?? 60 }) : staffError(code);
      return;
    }
    onSignedIn();
  });
  $("sign-out").addEventListener("click", async () => {
    await api.logout();
    location.reload();
  });
  if (await api.me()) onSignedIn();
  else {
    $("signin").hidden = false;
    $("username").focus();
  }
}

/** The header's "signed in as" and sign-out button. */
export function showAccount(api) {
  $("who").textContent = t("staff.signedInAs", { name: api.account.display_name });
  $("sign-out").hidden = false;
  $("signin").hidden = true;
}
