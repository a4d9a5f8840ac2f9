// The facilitator console: rooms I moderate, a live view with moderation menus, room
// controls, and the queues that must not be missed (crisis alerts, reports, held messages).
// All user text goes in with textContent, never as HTML.
import { initAlertInbox } from "./alert-inbox.js";
import { initAlertSignals } from "./alert-signals.js";
import { ChatClient } from "./client.js";
import { relabelDebriefs, startDebriefs } from "./debrief.js";
import { $, button, el, menu as sharedMenu } from "./dom.js";
import { roster as makeRoster } from "./group-members.js";
import {
  applyTo, formatDateTime, formatDuration, formatTime, lang, sayConnection, showConnection, startLang, t,
} from "./i18n.js";
import { followKeyboard } from "./keyboard.js";
import { signIn, showAccount, StaffApi, staffError } from "./staffapi.js";
import { initSupportConsole } from "./support-console.js";

const api = new StaffApi();
const client = new ChatClient({ useToken: false });
// One-to-one support, and the private conversations opened from alerts: support-console.js.
const supportConsole = initSupportConsole({ client, api, roomName: (id) => roomName(id) });
const signals = initAlertSignals(); // tone, desktop notifications, the inbox bar on a phone
// A conversation shown from the inbox or a report: on a phone the inbox's sheet is put away
// first, or it would stay over the conversation and its composer.
const conversations = {
  ...supportConsole,
  show(conv) { signals.closeInbox(); supportConsole.show(conv); },
};
const state = {
  rooms: new Map(), // id -> { info, joined, error, frames: Map seq -> frame, members, controls, me }
  names: new Map(), // room id -> its names, for every room (alerts can come from any)
  current: null,
  reports: new Map(), // id -> report
  held: new Map(), // id -> held message
  mySessions: null, // my upcoming sessions (null until loaded: not "none")
  resources: [], // the crisis lines, to hand on from a report
};

// What each moderation action asks before it is sent (docs/protocol.md, "moderate").
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
const ACTIONS = {
  redact: { on: "message" },
  pin: { on: "message" },
  content_warning: { on: "message", text: "action.cwTopic", optional: true },
  warn: { on: "member", text: "action.warnText" },
  mute: { on: "member", text: "action.reason", optional: true,
    durations: [5 * MINUTE, 15 * MINUTE, HOUR, DAY] },
  shadow: { on: "member", durations: [15 * MINUTE, HOUR, DAY] },
  unmute: { on: "member" },
  remove_recent: { on: "member", durations: [5 * MINUTE, 30 * MINUTE, HOUR, DAY] },
  kick: { on: "member", text: "action.reason", optional: true },
  ban: { on: "member", text: "action.reason", optional: true, scope: true,
    durations: [HOUR, DAY, 7 * DAY, 0] },
};
const MESSAGE_MENU = ["redact", "pin", "content_warning", "warn", "mute", "shadow",
  "remove_recent", "kick", "ban"];
const MEMBER_MENU = ["warn", "mute", "unmute", "shadow", "remove_recent", "kick", "ban"];

const roomName = (id) => {
  const name = state.rooms.get(id)?.info?.name ?? state.names.get(id);
  return name ? (name[lang()] ?? name.fi) : id;
};
const errorText = (code) => staffError(code);
const say = (text) => { $("status-live").textContent = text; };

// Urgent: alerts and reports -----------------------------------------------------------------

function urgent(text) {
  // Cleared first so that the same words twice are announced twice.
  $("urgent-live").textContent = "";
  setTimeout(() => { $("urgent-live").textContent = text; }, 50);
}

// The counts: in the headings, on the phone's bar and in the tab's title (what nobody has
// taken yet: open alerts, open reports, held messages).
function updateCounts() {
  const { open, unresolved } = inbox.counts();
  const reports = state.reports.size;
  $("alerts-title").textContent = t("alerts.title", { n: unresolved });
  $("reports-title").textContent = t("reports.title", { n: reports });
  $("held-title").textContent = t("held.title", { n: state.held.size });
  $("alerts-panel").classList.toggle("active", open > 0);
  $("no-alerts").hidden = unresolved > 0;
  $("no-reports").hidden = reports > 0;
  $("no-held").hidden = state.held.size > 0;
  const waiting = open + reports + state.held.size;
  signals.counts({ alerts: open, others: reports + state.held.size });
  document.title = waiting ? `(${waiting}) ${t("staff.title")}` : t("staff.title");
}

// The shared alert inbox: alert-inbox.js.
const inbox = initAlertInbox({
  client, api, roomName, signals, urgent, say, conversations,
  mayGoTo: (room) => Boolean(state.rooms.get(room)?.info),
  goTo: (room, seq) => { signals.closeInbox(); selectRoom(room, seq); },
  onChange: () => { updateCounts(); if (state.reportsShown) renderReports(); },
});
// An admin took this supporter's one-to-one right away: the calls of no room (people in crisis
// in the queue) are no longer theirs to see, and one they had taken is open again for the
// others. The inbox is read again, so it neither lists them nor says "you handle this".
client.addEventListener("support_revoked", () => inbox.load());

function reportedText(report) {
  try {
    const frame = JSON.parse(report.snapshot);
    return { name: frame.name ?? "", text: frame.text ?? t("chat.removedByFacilitator") };
  } catch {
    return { name: "", text: "" };
  }
}

function renderReports() {
  state.reportsShown = true;
  const list = $("reports");
  const focused = document.activeElement?.closest?.("#reports li")?.dataset.report;
  const focusedText = focused ? document.activeElement.textContent : null;
  list.replaceChildren();
  for (const report of state.reports.values()) {
    const item = el("li", "report-item");
    item.dataset.report = String(report.id);
    const { name, text } = reportedText(report);
    item.append(el("p", "queue-head", t("reports.head", {
      category: t(`report.${report.category}`), room: roomName(report.room) })));
    const quote = el("blockquote", "quote");
    quote.append(el("span", "name", name), " ", el("span", "text", text));
    item.append(quote);
    if (report.note) item.append(el("p", "note-text", t("reports.note", { note: report.note })));
    const tools = el("p", "tools");
    // Someone is worried about the writer: first a private word with them and the crisis
    // lines to hand on; removing or muting is not the answer to worry.
    if (report.category === "worried") {
      item.classList.add("worried");
      item.append(el("p", "hint", t("reports.worriedHint")));
      const alert = inbox.ofReport(report.id);
      if (alert?.conv && supportConsole.has(alert.conv)) {
        tools.append(button(t("alerts.convShow"), () => conversations.show(alert.conv)));
      } else if (alert && alert.state !== "resolved" && !alert.conv) {
        const talk = button(t("alerts.talk"), () => inbox.talk(alert.id), "");
        talk.setAttribute("aria-label", t("alerts.talkTo", { name }));
        tools.append(talk);
      }
      const lines = el("details", "report-lines");
      lines.append(el("summary", "", t("reports.crisisLines")));
      const list2 = el("ul", "resources");
      for (const r of state.resources) {
        const line = el("li");
        line.append(el("strong", "", r.name[lang()] ?? r.name.fi), " ", el("span", "phone", r.phone));
        if (r.hours) line.append(" ", el("span", "hours", `(${r.hours[lang()] ?? r.hours.fi})`));
        list2.append(line);
      }
      lines.append(list2);
      item.append(lines);
    }
    tools.append(button(t("reports.show"), () => selectRoom(report.room, report.seq)));
    if (report.category !== "worried") {
      tools.append(
        button(t("action.redact"), () => moderate(report.room, { action: "redact", seq: report.seq })),
        button(t("action.mute"), () => openAction("mute", report.room, { member: report.target, name })));
    }
    tools.append(
      button(t("reports.dismiss"), () => resolve(report, "dismissed")),
      button(t("reports.actioned"), () => resolve(report, "actioned")),
    );
    item.append(tools);
    list.append(item);
  }
  if (focused) {
    const buttons = [...(list.querySelector(`li[data-report="${CSS.escape(focused)}"]`)
      ?.querySelectorAll("button") ?? [])];
    (buttons.find((b) => b.textContent === focusedText) ?? buttons[0])?.focus();
  }
  updateCounts();
}

async function resolve(report, resolution) {
  const answer = await api.call("POST", `/api/reports/${report.id}/resolve`, { resolution });
  if (!answer.ok && answer.status !== 404) { say(errorText(answer.body.error)); return; }
  state.reports.delete(report.id);
  renderReports();
  say(t("reports.resolved"));
  $("reports-title").focus();
}

function renderHeld() {
  const list = $("held");
  list.replaceChildren();
  for (const held of state.held.values()) {
    const item = el("li", "held-item");
    item.append(el("p", "queue-head", t("held.head", { name: held.name, room: roomName(held.room) })));
    item.append(el("p", "text", held.text));
    const tools = el("p", "tools");
    tools.append(button(t("held.approve"), () => moderate(held.room, { action: "approve", hold: held.id })),
      button(t("held.reject"), () => moderate(held.room, { action: "reject", hold: held.id })));
    item.append(tools);
    list.append(item);
  }
  updateCounts();
}

async function loadQueues() {
  const [reports, held] = await Promise.all([api.get("/api/reports"), api.get("/api/held")]);
  if (reports.ok) state.reports = new Map(reports.body.map((r) => [r.id, r]));
  if (held.ok) state.held = new Map(held.body.map((h) => [h.id, h]));
  renderReports();
  renderHeld();
}

// Rooms ------------------------------------------------------------------------------------

function roomState(id) {
  if (!state.rooms.has(id)) {
    state.rooms.set(id, { info: null, joined: false, error: null, frames: new Map(),
      members: new Map(), controls: {}, controlsSeq: 0, setting: new Map(), me: null,
      session: null, round: null });
  }
  return state.rooms.get(id);
}

function renderRoomList() {
  const list = $("my-rooms");
  list.replaceChildren();
  for (const [id, room] of state.rooms) {
    if (!room.info) continue;
    const item = el("li");
    const b = button(roomName(id), () => selectRoom(id), "room-button");
    if (id === state.current) b.setAttribute("aria-current", "true");
    item.append(b);
    if (room.error) item.append(" ", el("span", "hint", errorText(room.error)));
    list.append(item);
  }
  $("rooms-changed").hidden = !state.roomsChanged;
  if (state.roomsChanged) $("rooms-changed").textContent = roomsChangedText(state.roomsChanged);
}

function selectRoom(id, focusSeq, moveFocus = true) {
  const room = roomState(id);
  state.current = id;
  if (!room.joined && !client.rooms.has(id)) client.join(id);
  renderRoomList();
  $("room-view").hidden = false;
  $("room-title").textContent = roomName(id);
  renderControls();
  renderSession();
  renderRound();
  $("invite-panel").hidden = roomState(id).info?.access !== "closed";
  $("invite-codes").replaceChildren();
  $("roster").replaceChildren();
  if (roomState(id).info?.access === "closed") {
    if (state.roster?.room !== id) state.roster = { room: id, view: makeRoster(api, id, $("roster"), { say }) };
    state.roster.view.load();
  }
  renderMembers();
  $("messages").replaceChildren();
  for (const frame of [...room.frames.values()].sort((a, b) => a.seq - b.seq)) renderMessage(frame);
  const target = focusSeq && $("messages").querySelector(`[data-seq="${Number(focusSeq)}"]`);
  if (!moveFocus) return;
  if (target) {
    target.tabIndex = -1;
    target.focus();
  } else {
    $("room-title").tabIndex = -1;
    $("room-title").focus();
  }
}

function renderControls() {
  const room = state.rooms.get(state.current);
  // A control whose change is on its way shows what the facilitator set, not an older echo.
  const controls = { ...(room?.controls ?? {}) };
  for (const [key, { value }] of room?.setting ?? []) controls[key] = value;
  $("slow-mode").value = String(controls.slow_mode ?? 0);
  if ($("slow-mode").selectedIndex < 0) $("slow-mode").value = "0";
  $("lock").checked = Boolean(controls.locked);
  $("premoderate").checked = Boolean(controls.premoderated);
  const pinned = $("pinned");
  const frame = controls.pinned ? state.rooms.get(state.current).frames.get(controls.pinned) : null;
  pinned.hidden = !controls.pinned;
  pinned.replaceChildren();
  if (controls.pinned) {
    pinned.append(el("strong", "", t("controls.pinned")), " ", frame?.text ?? `#${controls.pinned}`, " ",
      button(t("controls.unpin"), () => moderate(state.current, { action: "unpin" })));
  }
}

function renderMembers() {
  const room = state.rooms.get(state.current);
  const list = $("members");
  list.replaceChildren();
  if (!room) return;
  for (const m of room.members.values()) {
    const item = el("li", "member");
    item.append(el("span", "name", m.name));
    if (m.role !== "participant") item.append(" ", el("span", "role", t(`role.${m.role}`)));
    if (m.hidden) item.append(" ", el("span", "hint", t("staff.hiddenReader")));
    if (m.member === room.me) item.append(" ", el("span", "me", `(${t("chat.you")})`));
    if (m.role === "participant") {
      item.append(menu(m.name, MEMBER_MENU.map((action) => [action,
        () => openAction(action, state.current, { member: m.member, name: m.name })])));
    }
    list.append(item);
  }
}

function renderMessage(frame) {
  if (state.rooms.get(state.current)?.frames.get(frame.seq) !== frame) return;
  const item = el("li", "message");
  item.dataset.seq = String(frame.seq);
  const head = el("p", "meta");
  head.append(el("span", "name", frame.name));
  if (frame.role !== "participant") head.append(" ", el("span", "role", t(`role.${frame.role}`)));
  head.append(" ", el("time", "", formatTime(frame.ts)));
  if (frame.only) head.append(" ", el("span", "badge", t("staff.onlyWriter")));
  if (frame.cw !== undefined) head.append(" ", el("span", "badge", `${t("cw.label")}${frame.cw ? `: ${frame.cw}` : ""}`));
  // Crisis language: open for staff, and marked (participants see it folded).
  if (frame.flag === "crisis") {
    item.classList.add("flagged");
    head.append(" ", el("span", "crisis-flag", t("staff.crisisFlag")));
  }
  item.append(head);
  if (frame.redacted) {
    item.append(el("p", "text removed", t(frame.redacted === "writer"
      ? "chat.removedByWriter" : "chat.removedByFacilitator")));
  } else {
    item.append(el("p", "text", frame.text));
    const staffMessage = frame.role !== "participant";
    const actions = staffMessage ? ["pin"] : MESSAGE_MENU;
    item.append(menu(frame.name, actions.map((action) => [action,
      () => actOnMessage(action, frame)])));
  }
  const existing = $("messages").querySelector(`[data-seq="${frame.seq}"]`);
  if (existing) existing.replaceWith(item);
  else {
    // Follow new messages only when already at the end: a facilitator reading or acting on
    // an earlier message is not pulled away from it.
    // The list scrolls in its own box; the page (and the alerts beside it) never moves.
    const list = $("messages");
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(item);
    if (atEnd) list.scrollTop = list.scrollHeight;
  }
}

function actOnMessage(action, frame) {
  if (ACTIONS[action].on === "message" && !ACTIONS[action].text) {
    moderate(frame.room, { action, seq: frame.seq });
  } else {
    openAction(action, frame.room, { member: frame.member, name: frame.name, seq: frame.seq });
  }
}

// The moderation menu (dom.js): a disclosure button and a list of actions, all by keyboard too.
function menu(name, items) {
  return sharedMenu(t("mod.menu"), t("mod.menuFor", { name }),
    items.map(([action, run]) => [t(`action.${action}`), run]));
}

// The action dialog: what to say and for how long, before a sanction is sent. -----------------

let pending = null; // { action, room, target }

function openAction(action, room, target) {
  const spec = ACTIONS[action];
  if (!spec.text && !spec.durations) {
    moderate(room, { action, member: target.member });
    return;
  }
  pending = { action, room, target };
  $("action-title").textContent = t(`action.${action}`);
  $("action-target").textContent = t("action.target", { name: target.name ?? "" });
  $("action-text-label").hidden = $("action-text").hidden = !spec.text;
  $("action-text-label").textContent = spec.text ? t(spec.text) : "";
  $("action-text").value = "";
  $("action-text").required = Boolean(spec.text && !spec.optional);
  $("action-duration-label").hidden = $("action-duration").hidden = !spec.durations;
  $("action-duration").replaceChildren(...(spec.durations ?? []).map((s) => {
    const option = el("option", "", formatDuration(s));
    option.value = String(s);
    return option;
  }));
  $("action-scope-label").hidden = !spec.scope;
  $("action-scope").checked = false;
  $("action-error").textContent = "";
  $("action-confirm").textContent = t(`action.${action}`);
  $("action-dialog").showModal();
  (spec.text ? $("action-text") : $("action-duration")).focus();
}

$("action-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const { action, room, target } = pending;
  const spec = ACTIONS[action];
  const text = $("action-text").value.trim();
  const seconds = Number($("action-duration").value);
  const frame = { action: action === "shadow" ? "mute" : action };
  if (action === "content_warning") Object.assign(frame, { seq: target.seq, text });
  else frame.member = target.member;
  if (action === "shadow") frame.on = true;
  if (action === "warn") frame.text = text;
  else if (spec.text && text && action !== "content_warning") frame.reason = text;
  if (spec.durations && seconds) frame.seconds = seconds;
  if (spec.scope) frame.scope = $("action-scope").checked ? "all" : "room";
  moderate(room, frame, true);
});
$("action-cancel").addEventListener("click", () => $("action-dialog").close());

const requests = new Map(); // request id -> { frame, fromDialog }
const CONTROL_ACTIONS = new Set(["slow_mode", "lock", "premoderate", "pin", "unpin"]);
function moderate(room, frame, fromDialog = false) {
  const id = client.request({ type: "moderate", room, ...frame });
  requests.set(id, { frame, fromDialog });
  return id;
}

function settleModeration(request, answer) {
  const entry = requests.get(request.id);
  requests.delete(request.id);
  const decided = ["approve", "reject"].includes(request.action);
  if (answer.type === "done" || (decided && answer.code === "message_not_found")) {
    if (decided) { state.held.delete(request.hold); renderHeld(); }
    if (entry?.fromDialog) $("action-dialog").close();
    say(t("action.done", { action: t(`action.${request.action === "mute" && request.on ? "shadow" : request.action}`) }));
    return;
  }
  if (entry?.fromDialog && $("action-dialog").open) $("action-error").textContent = errorText(answer.code);
  else say(errorText(answer.code));
}

// Sessions: open, extend, close; the sharing round; invite codes for closed groups. ----------

function renderSession() {
  const room = state.rooms.get(state.current);
  const withSessions = room?.info?.session_mode === "sessions";
  $("session-panel").hidden = !withSessions;
  if (!withSessions) return;
  const session = room.session;
  const s = session?.state;
  $("session-state").textContent = session
    ? t("session.status", { state: t(`session.state.${s}`), start: formatDateTime(session.starts_at),
      end: formatTime(Date.parse(session.ends_at)) })
    : t("session.noneNow");
  $("session-open").disabled = Boolean(s) && s !== "lobby" && s !== "scheduled";
  $("session-extend").disabled = s !== "live" && s !== "ending";
  $("session-close").disabled = !s || s === "closed";
  $("session-confirm").hidden = true;
}

function sessionAction(action, extra = {}) {
  const id = client.request({ type: "session", room: state.current, action, ...extra });
  requests.set(id, { frame: { action } });
}
$("session-open").addEventListener("click", () => sessionAction("open"));
$("session-extend").addEventListener("click", () => sessionAction("extend", { minutes: 15 }));
$("session-close").addEventListener("click", () => {
  $("session-confirm").hidden = false;
  $("session-close-message").focus();
});
$("session-close-no").addEventListener("click", () => {
  $("session-confirm").hidden = true;
  $("session-close").focus();
});
$("session-close-yes").addEventListener("click", () => {
  // Closing words, if any: everyone sees them on the closing screen.
  const message = $("session-close-message").value.trim();
  sessionAction("close", message ? { message } : {});
});

async function loadMySessions() {
  const answer = await api.get("/api/sessions/mine");
  if (!answer.ok) return;
  state.mySessions = answer.body;
  renderMySessions();
}

function renderMySessions() {
  const list = $("my-sessions");
  list.replaceChildren();
  if (state.mySessions === null) return; // not loaded yet: saying "none coming" would be wrong
  for (const session of state.mySessions.slice(0, 8)) {
    list.append(el("li", "", t("session.mine", { room: roomName(session.room),
      time: formatDateTime(session.starts_at), state: t(`session.state.${session.state}`) })));
  }
  if (!state.mySessions.length) list.append(el("li", "hint", t("session.noneComing")));
}

// Every room's name (alerts, reports and sessions can come from any), before anything that
// names a room is shown, and again with each new connection.
async function loadNames() {
  const rooms = await fetch("/api/rooms", { cache: "no-store" }).then((r) => r.json()).catch(() => null);
  if (!rooms) return null;
  state.names = new Map(rooms.map((r) => [r.id, r.name]));
  return rooms;
}

async function loadResources() {
  const answer = await fetch("/api/crisis-resources").then((r) => r.json()).catch(() => null);
  if (answer) state.resources = answer;
}

function renderRound() {
  const round = state.rooms.get(state.current)?.round;
  const active = Boolean(round?.active);
  $("round-start").hidden = active;
  $("round-end").hidden = !active;
  $("round-status").textContent = !active ? t("round.notRunning")
    : round.turn ? t("round.turn", { name: round.turn.name }) : t("round.waiting");
  const list = $("round-raised");
  list.replaceChildren();
  for (const m of active ? round.raised : []) {
    const item = el("li", "", `${m.name} `);
    item.append(button(t("round.give", { name: m.name }), () => roundAction("give", { member: m.member })));
    list.append(item);
  }
  if (active && round.passed.length) {
    list.append(el("li", "hint", t("round.passed", { names: round.passed.map((m) => m.name).join(", ") })));
  }
}

function roundAction(action, extra = {}) {
  const id = client.request({ type: "round", room: state.current, action, ...extra });
  requests.set(id, { frame: { action: `round_${action}` } });
}
$("round-start").addEventListener("click", () => roundAction("start"));
$("round-end").addEventListener("click", () => roundAction("end"));

$("invite-make").addEventListener("click", async () => {
  const answer = await api.call("POST", `/api/rooms/${encodeURIComponent(state.current)}/invites`,
    { count: 1 });
  if (!answer.ok) { say(errorText(answer.body.error)); return; }
  for (const code of answer.body.codes) $("invite-codes").append(el("li", "code", code));
  say(t("invites.made"));
});

// Room controls ----------------------------------------------------------------------------

function setControl(key, value, frame) {
  const id = moderate(state.current, frame);
  roomState(state.current).setting.set(key, { id, value });
}
$("slow-mode").addEventListener("change", () => {
  const seconds = Number($("slow-mode").value);
  setControl("slow_mode", seconds, { action: "slow_mode", seconds });
});
$("lock").addEventListener("change", () =>
  setControl("locked", $("lock").checked, { action: "lock", on: $("lock").checked }));
$("premoderate").addEventListener("change", () => setControl(
  "premoderated", $("premoderate").checked, { action: "premoderate", on: $("premoderate").checked }));

// The answer to a change of controls: the controls after it, as of its room_controls event.
function settleControls(request, answer) {
  const room = state.rooms.get(request.room);
  if (!room) return;
  for (const [key, entry] of room.setting) if (entry.id === request.id) room.setting.delete(key);
  if (answer.type === "done" && answer.controls && answer.event > room.controlsSeq) {
    room.controls = answer.controls;
    room.controlsSeq = answer.event;
  }
  if (request.room === state.current) renderControls();
}

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text || !state.current) return;
  $("text").value = "";
  client.say(state.current, text);
});
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("send-form").requestSubmit();
  }
});

// Server events ----------------------------------------------------------------------------

function inRoom(frame, apply) {
  const room = state.rooms.get(frame.room);
  if (!room) return;
  apply(room);
  if (frame.room === state.current) return true;
  return false;
}

function updateFrame(target, room, change) {
  const frame = room.frames.get(target);
  if (!frame) return null;
  const next = change(frame);
  room.frames.set(target, next);
  return next;
}

let myRooms = null; // the rooms of the last welcome (null before the first)
let mySessionRooms = []; // of those, the ones held only while a session assigned to me is open
client.addEventListener("welcome", async (e) => {
  if (!e.detail.role) return; // not a staff connection: the cookie has expired
  // An admin may have changed this facilitator's rooms: the server then closed the socket
  // (1012) and this is the reconnect. A room taken away is not joined again (it would be
  // refused): dropped here, before the client rejoins its rooms right after this event.
  if (e.detail.role === "facilitator") {
    for (const id of [...client.rooms.keys()]) {
      if (!e.detail.rooms.includes(id)) client.rooms.delete(id);
    }
  }
  // The inbox is read from the server after each welcome, never before: an alert stored
  // between an earlier read and the hello would reach this console neither way. From the
  // hello on, alerts come as frames (alert-inbox.js merges those that overtake the read).
  inbox.load();
  const rooms = await loadNames();
  if (!rooms) return;
  // The rooms' names, wherever a room is named.
  inbox.render();
  renderReports();
  renderHeld();
  renderMySessions();
  const mine = e.detail.role === "admin" ? rooms.map((r) => r.id) : e.detail.rooms;
  for (const [id, room] of state.rooms) {
    if (!mine.includes(id)) Object.assign(room, { info: null, joined: false, error: null });
  }
  for (const info of rooms) {
    if (mine.includes(info.id)) roomState(info.id).info = info;
  }
  // Facilitators are present in all their rooms, so that every alert and report reaches them.
  if (e.detail.role === "facilitator") {
    for (const id of mine) if (!client.rooms.has(id)) client.join(id);
  }
  const bySession = e.detail.session_rooms ?? [];
  if (myRooms && e.detail.role === "facilitator" && (myRooms.length !== mine.length || mine.some((id) => !myRooms.includes(id)))) {
    const added = mine.filter((id) => !myRooms.includes(id));
    const removed = myRooms.filter((id) => !mine.includes(id));
    // A session assigned to this facilitator alone opened or closed (not an admin's edit).
    const session = added.every((id) => bySession.includes(id)) && removed.every((id) => mySessionRooms.includes(id));
    state.roomsChanged = { mine, added, removed, session }; // said beside the list, and read out once
    say(roomsChangedText(state.roomsChanged));
  }
  myRooms = [...mine];
  mySessionRooms = [...bySession];
  if (state.current && !mine.includes(state.current)) {
    state.current = null;
    $("room-view").hidden = true;
  }
  renderRoomList();
  if (!state.current && mine.length) selectRoom(mine[0], null, false);
});
function roomsChangedText({ mine, added, removed, session }) {
  const names = (ids) => ids.map(roomName).join(", ");
  if (session) {
    return [added.length ? t("staff.sessionRoomOpened", { rooms: names(added) }) : "",
      removed.length ? t("staff.sessionRoomClosed", { rooms: names(removed) }) : ""].filter(Boolean).join(" ");
  }
  return mine.length ? t("staff.roomsChanged", { rooms: names(mine) }) : t("staff.roomsChangedNone");
}
client.addEventListener("joined", (e) => {
  const room = roomState(e.detail.room);
  room.joined = true;
  room.error = null;
  room.me = e.detail.member;
  room.members = new Map(e.detail.members.map((m) => [m.member, m]));
  room.controls = e.detail.controls ?? {};
  room.controlsSeq = 0; // the replay that follows brings its room_controls in order
  room.setting.clear();
  room.session = e.detail.session ?? null;
  room.round = e.detail.round ?? null;
  if (e.detail.room === state.current) { renderControls(); renderMembers(); renderSession(); renderRound(); }
  renderRoomList();
});
client.addEventListener("answer", (e) => {
  const { request, answer } = e.detail;
  if (request.type === "join" && answer.type === "error") {
    client.rooms.delete(request.room);
    roomState(request.room).error = answer.code;
    renderRoomList();
  } else if (request.type === "moderate") {
    if (CONTROL_ACTIONS.has(request.action)) settleControls(request, answer);
    settleModeration(request, answer);
  } else if (request.type === "session" || request.type === "round") {
    requests.delete(request.id);
    const key = request.type === "session" ? `session.done.${request.action}` : `round.done.${request.action}`;
    say(answer.type === "done" ? t(key) : errorText(answer.code));
    if (request.type === "session" && answer.type === "done" && answer.session) {
      roomState(request.room).session = answer.session;
      if (request.room === state.current) renderSession();
      loadMySessions();
    }
  } else if (request.type === "send" && answer.type === "error") {
    say(errorText(answer.code));
  }
});
client.addEventListener("message", (e) => {
  if (inRoom(e.detail, (room) => room.frames.set(e.detail.seq, e.detail))) renderMessage(e.detail);
});
for (const [type, change] of [
  ["message_redacted", (f, ev) => { const { text: _t, ...rest } = f; return { ...rest, redacted: ev.by }; }],
  ["message_edited", (f, ev) => ({ ...f, text: ev.text, edited: ev.ts, ...(ev.flag ? { flag: ev.flag } : {}) })],
  ["message_warned", (f, ev) => ({ ...f, cw: ev.cw })],
]) {
  client.addEventListener(type, (e) => {
    let changed = null;
    if (inRoom(e.detail, (room) => { changed = updateFrame(e.detail.target, room, (f) => change(f, e.detail)); })
        && changed) renderMessage(changed);
  });
}
client.addEventListener("member_joined", (e) => {
  if (inRoom(e.detail, (room) => room.members.set(e.detail.member, e.detail))) renderMembers();
});
client.addEventListener("member_left", (e) => {
  if (inRoom(e.detail, (room) => room.members.delete(e.detail.member))) renderMembers();
});
client.addEventListener("session", (e) => {
  if (inRoom(e.detail, (room) => { room.session = e.detail.session; })) renderSession();
  loadMySessions();
  // A meeting that begins or ends changes who came to what.
  if (state.roster?.room === e.detail.room && state.current === e.detail.room) state.roster.view.load();
});
client.addEventListener("round", (e) => {
  if (inRoom(e.detail, (room) => { room.round = e.detail.round; })) renderRound();
});
client.addEventListener("room_controls", (e) => {
  const { seq, slow_mode, locked, premoderated, pinned } = e.detail;
  const room = state.rooms.get(e.detail.room);
  if (!room || seq < room.controlsSeq) return; // older than a change this console has seen done
  room.controls = { slow_mode, locked, premoderated, pinned };
  room.controlsSeq = seq;
  if (e.detail.room === state.current) renderControls();
});
client.addEventListener("report", (e) => {
  const report = e.detail.report;
  state.reports.set(report.id, report);
  renderReports();
  urgent(t("reports.announce", { category: t(`report.${report.category}`), room: roomName(report.room) }));
});
client.addEventListener("held_message", (e) => {
  state.held.set(e.detail.held.id, e.detail.held);
  renderHeld();
  say(t("held.announce", { room: roomName(e.detail.room) }));
});
showConnection(client, $("connection"));
client.addEventListener("reconnected", () => loadQueues()); // the inbox: on welcome
client.addEventListener("refused", () => sayConnection($("connection"), "error.not_signed_in"));
// As on a participant's page: a console that slept or lost its network is checked, or
// connected again, at once (alerts must reach it), and an offline one says so.
client.followNetwork();

// The on-screen keyboard of a phone (keyboard.js; console.css fits the page above it). What is
// being typed in stays in view: a conversation's or the room's composer with the last messages
// right above it, ending above the bar with the inbox's counts (a new alert is seen there); a
// note in the inbox's sheet, which ends above the keyboard, in the sheet's own scroll.
followKeyboard((keyboard) => {
  const field = document.activeElement;
  if (!keyboard || !field?.matches("textarea, input, select") || !$("console").contains(field)) return;
  if ($("inbox").contains(field)) {
    field.scrollIntoView({ block: "nearest" });
    return;
  }
  const box = field.closest(".conversation, .room-view");
  const messages = box?.querySelector(".messages");
  if (messages && field.closest(".send-form")) messages.scrollTop = messages.scrollHeight;
  const toggle = $("inbox-toggle");
  const end = toggle.offsetHeight ? toggle.getBoundingClientRect().top : window.innerHeight - keyboard;
  const shown = (field.closest(".send-form") ?? field).getBoundingClientRect();
  if (shown.bottom > end || shown.top < 0) window.scrollBy(0, shown.bottom - end + 8);
});

// Start ------------------------------------------------------------------------------------

function relabel() {
  applyTo(document);
  inbox.relabel();
  renderReports();
  renderHeld();
  renderRoomList();
  renderMySessions();
  relabelDebriefs();
  if (state.current) selectRoom(state.current, null, false);
  if (api.account) showAccount(api);
  supportConsole.relabel();
  signals.relabel();
}

async function start() {
  await startLang($("lang"), relabel);
  signals.relabel();
  updateCounts();
  await signIn(api, async () => {
    showAccount(api);
    $("to-admin").hidden = api.account.role !== "admin";
    $("console").hidden = false;
    signals.show();
    await Promise.all([loadNames(), loadResources()]);
    client.connect(lang());
    await Promise.all([loadQueues(), loadMySessions(), startDebriefs(api, client),
      supportConsole.start()]);
  });
}
start();
