// The participant page: rooms, ground rules, the chat. All user text goes in with
// textContent, never as HTML.
import { ChatClient } from "./client.js";
import { applyTo, chosenLang, formatTime, has, lang, setLang, t } from "./i18n.js";

// Where quick exit goes: a neutral page that says nothing about this one.
const NEUTRAL_PAGE = "https://www.google.com/search?q=s%C3%A4%C3%A4tiedotus";
const $ = (id) => document.getElementById(id);
const errorText = (code) => t(has(`error.${code}`) ? `error.${code}` : "error.generic");

const client = new ChatClient();
const state = { rooms: [], room: null, me: null, replyTo: null, bySeq: new Map() };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function show(view) {
  for (const id of ["landing", "rules", "chat"]) $(id).hidden = id !== view;
}

// Quick exit: replace this page in the tab's history, so Back does not return here.
function quickExit() {
  client.stop();
  document.body.replaceChildren();
  location.replace(NEUTRAL_PAGE);
}
let lastEscape = 0;
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  const now = Date.now();
  if (now - lastEscape < 600) quickExit();
  lastEscape = now;
});
$("quick-exit").addEventListener("click", quickExit);

// Landing ----------------------------------------------------------------------------------

async function loadRooms() {
  const [rooms, resources] = await Promise.all([
    fetch("/api/rooms").then((r) => r.json()),
    fetch("/api/crisis-resources").then((r) => r.json()),
  ]);
  state.rooms = rooms;
  renderRooms();
  renderResources($("resources"), resources);
}

function renderRooms() {
  const list = $("rooms");
  list.replaceChildren();
  if (!state.rooms.length) list.append(el("li", "empty", t("landing.noRooms")));
  for (const room of state.rooms) {
    const item = el("li", "room");
    item.append(el("h3", "", room.name[lang()] ?? room.name.fi));
    item.append(el("p", "badge", t(room.kind === "guided" ? "landing.guided" : "landing.unguided")));
    item.append(el("p", "", room.description[lang()] ?? room.description.fi));
    if (typeof room.members === "number") {
      item.append(el("p", "count", t("landing.members", { n: room.members })));
    }
    const join = el("button", "", room.open ? t("landing.join") : t("landing.closed"));
    join.type = "button";
    join.disabled = !room.open;
    join.addEventListener("click", () => openRules(room));
    item.append(join);
    list.append(item);
  }
}

function renderResources(list, resources) {
  list.replaceChildren();
  for (const r of resources) {
    const item = el("li", "resource");
    item.append(el("strong", "", r.name[lang()] ?? r.name.fi));
    const phone = el("a", "phone", r.phone);
    phone.href = `tel:${r.phone.replace(/\s/g, "")}`;
    item.append(" ", phone);
    if (r.hours) item.append(el("span", "hours", ` (${r.hours[lang()] ?? r.hours.fi})`));
    list.append(item);
  }
}

// Ground rules and pseudonym ---------------------------------------------------------------

function openRules(room) {
  state.room = room;
  $("name").value = state.me?.pseudonym ?? "";
  $("name-error").textContent = "";
  show("rules");
  $("accept").focus();
}
$("rules-back").addEventListener("click", () => show("landing"));
$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = $("name").value.trim();
  client.join(state.room.id, name && name !== state.me?.pseudonym ? name : undefined);
});

// Chat -------------------------------------------------------------------------------------

function enterChat(joined) {
  $("room-title").textContent = state.room.name[lang()] ?? state.room.name.fi;
  $("messages").replaceChildren();
  state.bySeq.clear();
  state.members = new Map(joined.members.map((m) => [m.member, m]));
  state.me.member = joined.member;
  renderMembers();
  show("chat");
  $("text").focus();
}

function renderMembers() {
  const list = $("members");
  list.replaceChildren();
  for (const m of state.members.values()) {
    const item = el("li", "", m.name);
    if (m.role !== "participant") item.append(" ", el("span", "role", t(`role.${m.role}`)));
    if (m.member === state.me.member) item.append(" ", el("span", "me", `(${t("chat.you")})`));
    list.append(item);
  }
}

function note(text) {
  const item = el("li", "note", text);
  $("messages").append(item);
}

function renderMessage(frame, { live }) {
  const existing = state.bySeq.get(frame.seq);
  const item = el("li", frame.member === state.me.member ? "message mine" : "message");
  item.dataset.seq = String(frame.seq);
  const head = el("p", "meta");
  head.append(el("span", "name", frame.name));
  if (frame.role !== "participant") head.append(" ", el("span", "role", t(`role.${frame.role}`)));
  head.append(" ", el("time", "", formatTime(frame.ts)));
  item.append(head);
  if (frame.reply_to && state.bySeq.has(frame.reply_to)) {
    const quoted = state.bySeq.get(frame.reply_to).querySelector(".text");
    if (quoted) item.append(el("p", "quote", quoted.textContent.slice(0, 80)));
  }
  if (frame.redacted) {
    item.append(el("p", "text removed", t(frame.redacted === "writer"
      ? "chat.removedByWriter" : "chat.removedByFacilitator")));
  } else {
    item.append(el("p", "text", frame.text));
    const reply = el("button", "link", t("chat.reply"));
    reply.type = "button";
    reply.addEventListener("click", () => startReply(frame));
    const report = el("button", "link", t("chat.report"));
    report.type = "button";
    report.addEventListener("click", () => {
      client.request({ type: "report", room: state.room.id, seq: frame.seq, category: "other" });
    });
    item.append(reply, report);
  }
  if (existing) existing.replaceWith(item);
  else $("messages").append(item);
  state.bySeq.set(frame.seq, item);
  if (live && frame.member !== state.me.member && !frame.redacted) {
    $("announce").textContent = t("chat.newMessage", { name: frame.name, text: frame.text });
  }
  item.scrollIntoView({ block: "nearest" });
}

function startReply(frame) {
  state.replyTo = frame.seq;
  const bar = $("replying");
  bar.replaceChildren(el("span", "", t("chat.replyingTo", { text: frame.text.slice(0, 60) })));
  const cancel = el("button", "link", t("chat.cancelReply"));
  cancel.type = "button";
  cancel.addEventListener("click", () => { state.replyTo = null; bar.hidden = true; });
  bar.append(" ", cancel);
  bar.hidden = false;
  $("text").focus();
}

const outgoing = new Map(); // request id -> the list item showing "sending…"
function sendText(text, extra = {}) {
  const extras = { ...extra };
  if (state.replyTo) extras.reply_to = state.replyTo;
  const id = client.say(state.room.id, text, extras);
  const item = el("li", "message mine pending");
  item.append(el("p", "text", text), el("p", "status", t("chat.sending")));
  $("messages").append(item);
  outgoing.set(id, { item, text, extras });
  state.replyTo = null;
  $("replying").hidden = true;
}

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("text").value = "";
  sendText(text);
});
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("send-form").requestSubmit();
  }
});
let lastTyping = 0;
$("text").addEventListener("input", () => {
  if (Date.now() - lastTyping > 3000 && state.room) {
    lastTyping = Date.now();
    client.typing(state.room.id);
  }
});
$("leave").addEventListener("click", () => {
  client.leave(state.room.id);
  state.room = null;
  show("landing");
  loadRooms();
});
$("help-now").addEventListener("click", () => client.request({ type: "help", room: state.room.id }));

function showPrivate(children) {
  $("private").replaceChildren(...children);
}

// Server events ----------------------------------------------------------------------------

client.addEventListener("welcome", (e) => { state.me = { pseudonym: e.detail.pseudonym }; });
client.addEventListener("answer", (e) => {
  const { request, answer } = e.detail;
  if (request.type === "join") {
    if (answer.type === "joined") {
      if (!$("chat").hidden && answer.room === state.room?.id) return; // a resume
      state.me.pseudonym = answer.name;
      enterChat(answer);
      if (!answer.complete) note(t("chat.missed"));
    } else if (answer.type === "error") {
      client.rooms.delete(request.room);
      $("name-error").textContent = errorText(answer.code);
    }
    return;
  }
  if (request.type === "send") settleSend(request, answer);
  if (request.type === "report" && answer.type === "reported") {
    showPrivate([el("p", "", t("chat.reported"))]);
  }
});

function settleSend(request, answer) {
  const entry = outgoing.get(request.id);
  if (!entry) return;
  outgoing.delete(request.id);
  const status = entry.item.querySelector(".status");
  if (answer.type === "ack") { entry.item.remove(); return; }
  if (answer.type === "held") { status.textContent = t("chat.held"); return; }
  if (answer.type === "confirm") {
    entry.item.remove();
    const yes = el("button", "", t("confirm.send"));
    yes.type = "button";
    yes.addEventListener("click", () => {
      showPrivate([]);
      sendText(entry.text, { ...entry.extras, confirmed: true });
    });
    showPrivate([el("p", "", t("confirm.personal")), yes]);
    return;
  }
  // Not sent: say so, keep the text, offer to try again. Nothing is lost silently.
  entry.item.classList.add("failed");
  status.textContent = `${errorText(answer.code)} – ${t("chat.failed")}`;
  const retry = el("button", "link", t("chat.retry"));
  retry.type = "button";
  retry.addEventListener("click", () => { entry.item.remove(); sendText(entry.text, entry.extras); });
  entry.item.append(retry);
}

client.addEventListener("message", (e) => renderMessage(e.detail, { live: true }));
client.addEventListener("message_redacted", (e) => {
  const item = state.bySeq.get(e.detail.target);
  if (item) {
    item.replaceChildren(el("p", "text removed", t(e.detail.by === "writer"
      ? "chat.removedByWriter" : "chat.removedByFacilitator")));
  }
});
client.addEventListener("member_joined", (e) => {
  state.members?.set(e.detail.member, e.detail);
  renderMembers();
});
client.addEventListener("member_left", (e) => {
  state.members?.delete(e.detail.member);
  renderMembers();
});
client.addEventListener("typing", (e) => {
  if (e.detail.member === state.me?.member) return;
  $("typing").textContent = t("chat.typing", { name: e.detail.name });
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => { $("typing").textContent = ""; }, 4000);
});
client.addEventListener("crisis_resources", (e) => {
  const list = el("ul", "resources");
  renderResources(list, e.detail.resources);
  showPrivate([el("p", "", t("help.sent")), list]);
});
client.addEventListener("sanction", (e) => {
  const key = { mute: "sanction.mute", kick: "sanction.kick", ban: "sanction.ban" }[e.detail.sanction];
  if (key) showPrivate([el("p", "", t(key))]);
});
client.addEventListener("warning", (e) => showPrivate([el("p", "", e.detail.text)]));
client.addEventListener("reconnecting", () => {
  $("connection").textContent = t("connection.reconnecting");
  $("connection").hidden = false;
});
client.addEventListener("reconnected", () => {
  $("connection").textContent = t("connection.back");
  setTimeout(() => { $("connection").hidden = true; }, 2500);
});

// Start ------------------------------------------------------------------------------------

async function start() {
  const chosen = chosenLang();
  $("lang").value = chosen;
  await setLang(chosen);
  $("lang").addEventListener("change", async () => {
    await setLang($("lang").value);
    renderRooms();
    if (state.members) renderMembers();
  });
  client.connect(chosen);
  await loadRooms();
  applyTo(document);
}
start();
