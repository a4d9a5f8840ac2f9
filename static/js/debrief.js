// Facilitator console: a short debrief after a session (POST /api/sessions/{id}/debrief),
// offered at once when I close a session and for the sessions of my groups that closed
// recently; the session's earlier debriefs are listed with it. Staff only; no participant
// text goes here unless it was reported. Every text goes in with textContent.
import { $, button, el } from "./dom.js";
import { formatDateTime, lang, t } from "./i18n.js";
import { staffError } from "./staffapi.js";

const DAYS = 14; // how far back closed sessions are offered
const SHOWN = 6;
let api;
let names = new Map(); // room id -> names per language
let sessions = [];
let current = null; // the session whose debrief form is open
let debriefs = [];

const roomName = (id) => names.get(id)?.[lang()] ?? names.get(id)?.fi ?? id;

async function loadSessions() {
  const from = new Date(Date.now() - DAYS * 86400_000).toISOString();
  const answer = await api.get(`/api/sessions?${new URLSearchParams({ from })}`);
  if (!answer.ok) return;
  sessions = answer.body.filter((s) => s.state === "closed")
    .sort((a, b) => (b.closed_at ?? b.ends_at).localeCompare(a.closed_at ?? a.ends_at))
    .slice(0, SHOWN);
  renderSessions();
}

function sessionLine(session) {
  return t("debrief.sessionLine", { room: roomName(session.room),
    time: formatDateTime(session.starts_at) });
}

function renderSessions() {
  const list = $("debrief-sessions");
  list.replaceChildren();
  for (const session of sessions) {
    const item = el("li", "", `${sessionLine(session)} `);
    const b = button(t("debrief.write"), () => open(session, b));
    b.setAttribute("aria-label", t("debrief.writeNamed", { session: sessionLine(session) }));
    b.dataset.session = String(session.id);
    item.append(b);
    list.append(item);
  }
  if (!sessions.length) list.append(el("li", "hint", t("debrief.noSessions")));
}

async function loadDebriefs() {
  const answer = await api.get(`/api/sessions/${current.id}/debriefs`);
  debriefs = answer.ok ? answer.body : [];
  renderDebriefs();
}

function renderDebriefs() {
  const list = $("debrief-list");
  list.replaceChildren();
  for (const d of debriefs) {
    const item = el("li", "card");
    const time = el("time", "", formatDateTime(d.created_at));
    time.dateTime = d.created_at;
    const meta = el("p", "meta");
    meta.append(el("span", "name", d.author), " · ", time);
    item.append(meta, el("p", "text", d.text));
    list.append(item);
  }
  if (!debriefs.length) list.append(el("li", "hint", t("debrief.none")));
}

async function open(session, opener = null) {
  current = { ...session, opener };
  $("debrief-form-title").textContent = t("debrief.formTitle", { session: sessionLine(session) });
  $("debrief-error").textContent = "";
  $("debrief-open").hidden = false;
  $("debrief-form-title").focus();
  await loadDebriefs();
}

function close() {
  const opener = current?.opener;
  current = null;
  $("debrief-open").hidden = true;
  $("debrief-text").value = "";
  if (opener?.isConnected) opener.focus();
}

/** Wire the panel; `client` is the console's ChatClient (a close I make opens the form). */
export async function startDebriefs(staffApi, client) {
  api = staffApi;
  const rooms = await fetch("/api/rooms").then((r) => r.json()).catch(() => []);
  names = new Map(rooms.map((r) => [r.id, r.name]));
  $("debrief-close").addEventListener("click", close);
  $("debrief-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("debrief-text").value.trim();
    if (!text || !current) return;
    const answer = await api.call("POST", `/api/sessions/${current.id}/debrief`, { text });
    if (!answer.ok) { $("debrief-error").textContent = staffError(answer.body.error); return; }
    $("debrief-text").value = "";
    $("status-live").textContent = t("debrief.saved");
    await loadDebriefs();
  });
  client.addEventListener("answer", (e) => {
    const { request, answer } = e.detail;
    if (request.type === "session" && request.action === "close" && answer.type === "done"
        && answer.session) {
      loadSessions().then(() => open(answer.session));
    }
  });
  client.addEventListener("session", (e) => {
    if (e.detail.session?.state === "closed") loadSessions();
  });
  $("debrief-panel").hidden = false;
  await loadSessions();
}

/** Again in the newly chosen language. */
export function relabelDebriefs() {
  if (!api) return;
  renderSessions();
  if (current) {
    $("debrief-form-title").textContent = t("debrief.formTitle", { session: sessionLine(current) });
    renderDebriefs();
  }
}
