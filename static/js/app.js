// The participant page: rooms, ground rules, the chat. All user text goes in with
// textContent, never as HTML.
import { initCheckin } from "./checkin.js";
import { ChatClient } from "./client.js";
import { $, button, el, menu } from "./dom.js";
import {
  applyTo, clearConnection, formatDateTime, formatTime, has, keyed, lang, sayConnection,
  showConnection, startLang, t,
} from "./i18n.js";
import { followKeyboard } from "./keyboard.js";
import { initSupport } from "./support.js";

// Where quick exit goes: a neutral page that says nothing about this one.
const NEUTRAL_PAGE = "https://www.google.com/search?q=s%C3%A4%C3%A4tiedotus";
const errorText = (code) => t(has(`error.${code}`) ? `error.${code}` : "error.generic");
const roomName = (id) => {
  const room = state.rooms.find((r) => r.id === id);
  return room ? room.name[lang()] ?? room.name.fi : id;
};

const client = new ChatClient();
const IGNORED_KEY = "vt.ignored";
const state = {
  rooms: [], room: null, me: null, replyTo: null, editing: null, bySeq: new Map(),
  frames: new Map(), // seq -> the message frame as last known (for edits and warnings)
  reactions: new Map(), // seq -> counts
  mine: new Map(), // seq -> the reactions this person gave
  alwaysShow: localStorage.getItem("vt.cwAlways") === "1",
  // Members this person chose not to see. Kept on this device only: the server and the
  // ignored person never learn of it. Member ids are per room and per visitor.
  ignored: new Set(JSON.parse(localStorage.getItem(IGNORED_KEY) ?? "[]")),
  shownOnce: new Set(), // seqs of ignored messages opened one at a time
  // The crisis lines, from the server (shown at once when help is pressed); until they have
  // come, the emergency number (named in the page's language).
  resources: [{ id: "emergency", phone: "112", name: null }],
  helpRequest: null, // the id of the last "help" frame, to know its crisis_resources
  helpUnsent: null, // { room, at } of a "help" that did not reach the server (sent on resume)
  // nobody_online, notified, seen, unanswered, released, released_nobody_online (help_status)
  // or not_sent
  helpStatus: null,
  helpAlert: null, // the alert the last help_status was about
  helpHeard: false, // whether the last help press got any answer (lines or a status)
  helpPanel: null, // { crisis } while the help panel shows above the composer
  // The hold of one's own message with crisis language while it waits for a facilitator:
  // the help panel says so beside the lines (the words are not lost, nor shown yet).
  helpHeld: null,
  seenAlerts: new Set(), // alerts a facilitator has seen: an older word on one is stale
  muted: null, // { until: ms or null, reason } while a facilitator has muted this person
  slowUntil: 0, // slow mode: when the next message may be sent (ms)
};
// Closed groups this device's identity has joined with an invite code (kept with the token).
const GROUPS_KEY = "vt.groups";
const myGroups = () => new Set(JSON.parse(localStorage.getItem(GROUPS_KEY) ?? "[]"));
function rememberGroup(room, member) {
  const groups = myGroups();
  if (member) groups.add(room); else groups.delete(room);
  localStorage.setItem(GROUPS_KEY, JSON.stringify([...groups]));
}
const REACTIONS = [["heart", "\u2764\ufe0f"], ["hug", "\u{1F917}"], ["thanks", "\u{1F64F}"],
  ["metoo", "\u{1F91D}"]];


function show(view) {
  for (const id of ["landing", "rules", "chat", "closing", "support"]) $(id).hidden = id !== view;
  // In a room the page is an app: the header and the composer stay, only the messages scroll.
  document.body.classList.toggle("in-room", view === "chat");
  // A new view starts from its top (its heading is never left under the sticky header).
  window.scrollTo(0, 0);
}
// The on-screen keyboard of a phone (keyboard.js): the room is fitted above it, so that "I need
// help now", quick exit, the status and crisis lines above the composer, a private
// conversation's sheet and the composer itself stay in view, instead of the page being panned
// so that the header is above the screen.
followKeyboard((keyboard) => {
  if (!keyboard || !document.body.classList.contains("in-room")) return;
  window.scrollTo(0, 0);
  // The room's column to its foot: what is said privately right above the composer first.
  $("chat").scrollTop = $("chat").scrollHeight;
});

// Quick exit: replace this page in the tab's history, so Back does not return here.
function quickExit() {
  support.forget();
  checkin.forget();
  client.stop();
  document.body.replaceChildren();
  location.replace(NEUTRAL_PAGE);
}
// Esc twice leaves, but never while a dialog is open: there Esc closes the dialog (and counts
// as nothing), so that closing the crisis lines cannot throw anyone out of the page.
let lastEscape = 0;
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (e.defaultPrevented || document.querySelector("dialog[open]")) {
    lastEscape = 0;
    return;
  }
  const now = Date.now();
  if (now - lastEscape < 600) quickExit();
  lastEscape = now;
});
$("quick-exit").addEventListener("click", quickExit);
$("help-exit").addEventListener("click", quickExit);

// Landing ----------------------------------------------------------------------------------

// The crisis lines never wait for the rooms, nor for the network: a list that could not be
// had (the server restarting, a bad network) is asked for again until it comes.
let resourcesRetry = null;
async function loadResources() {
  clearTimeout(resourcesRetry);
  const answer = await fetch("/api/crisis-resources").catch(() => null);
  const resources = answer?.ok ? await answer.json().catch(() => null) : null;
  if (!Array.isArray(resources) || !resources.length) {
    resourcesRetry = setTimeout(loadResources, 3000);
    return;
  }
  setResources(resources);
}
function setResources(resources) {
  state.resources = resources;
  renderResources($("resources"), resources);
  renderResources($("help-lines"), resources);
  if (state.helpPanel) renderHelpPanel(true);
  support.linesCame(); // a reloaded tab's one-to-one view shows these until it has its own
}

async function loadRooms() {
  loadResources();
  let rooms = null;
  for (let wait = 1000; ; wait = Math.min(wait * 2, 15000)) {
    const answer = await fetch("/api/rooms").catch(() => null);
    rooms = answer?.ok ? await answer.json().catch(() => null) : null;
    if (Array.isArray(rooms)) break;
    // Said where the groups would be (help and its lines work meanwhile); asked again.
    if (!state.rooms.length) $("rooms").replaceChildren(el("li", "empty", t("landing.roomsUnavailable")));
    await new Promise((resolve) => { setTimeout(resolve, wait); });
  }
  state.rooms = rooms;
  // A room with sessions shows its next one; the times are UTC, shown in local time.
  await Promise.all(rooms.filter((r) => r.session_mode === "sessions").map(async (room) => {
    // One room's sessions failing to load must not hide every room.
    const answer = await fetch(`/api/rooms/${encodeURIComponent(room.id)}/sessions`)
      .catch(() => null);
    room.upcoming = answer?.ok ? await answer.json() : [];
  }));
  renderRooms();
}

/** Whether a participant may enter the room now: open, and in a session if it has them. */
const joinable = (room) => room.open && (room.session_mode !== "sessions" || Boolean(room.session));

function sessionLine(room) {
  const session = room.session;
  if (session?.state === "lobby") return t("session.startsAt", { time: formatDateTime(session.starts_at) });
  if (session) return t("session.liveUntil", { time: formatTime(Date.parse(session.ends_at)) });
  const next = room.upcoming?.find((s) => s.state === "scheduled");
  return next ? t("session.next", { time: formatDateTime(next.starts_at) }) : t("session.none");
}

function renderRooms() {
  const list = $("rooms");
  const groups = myGroups();
  list.replaceChildren();
  if (!state.rooms.length) list.append(el("li", "empty", t("landing.noRooms")));
  for (const room of state.rooms) {
    const item = el("li", "room");
    item.dataset.room = room.id;
    item.append(el("h3", "", room.name[lang()] ?? room.name.fi));
    item.append(el("p", "badge", t(room.kind === "guided" ? "landing.guided" : "landing.unguided")));
    if (room.access === "closed") item.append(" ", el("p", "badge", t("landing.closedGroup")));
    item.append(el("p", "", room.description[lang()] ?? room.description.fi));
    if (room.target_group?.[lang()]) item.append(el("p", "target", room.target_group[lang()]));
    if (room.session_mode === "sessions") item.append(el("p", "when", sessionLine(room)));
    if (typeof room.members === "number") {
      item.append(el("p", "count", t("landing.members", { n: room.members })));
    }
    // A closed group someone here has not joined: by invitation, with the code right here
    // (not "not open now", which reads as if it were only a matter of time).
    const invited = room.access !== "closed" || groups.has(room.id);
    if (!invited) item.append(inviteCard(room));
    if (invited || joinable(room)) {
      const join = el("button", invited ? "" : "secondary",
        joinable(room) ? t(invited ? "landing.join" : "landing.joinMember") : t("landing.closed"));
      join.type = "button";
      join.disabled = !joinable(room);
      join.addEventListener("click", () => openRules(room));
      item.append(join);
    }
    if (state.cardNotice?.room === room.id) {
      const notice = el("p", "invite-result", state.cardNotice.text);
      notice.setAttribute("role", "status");
      item.append(notice);
    }
    list.append(item);
  }
}

/** Say something in a group's card on the landing page, and put the focus where it helps. */
function cardNotice(room, text) {
  state.cardNotice = { room, text };
  renderRooms();
  const card = $("rooms").querySelector(`.room[data-room="${CSS.escape(room)}"]`);
  (card?.querySelector("input, button:not([disabled])") ?? card?.querySelector(".invite-result"))
    ?.focus();
}

// The invite code form in a closed group's card.
const redeeming = new Map(); // request id -> the room whose card asked
function inviteCard(room) {
  const box = el("form", "invite-inline");
  box.dataset.room = room.id;
  const id = `invite-code-${room.id}`;
  const label = el("label", "", t("landing.inviteCode"));
  label.htmlFor = id;
  const input = el("input");
  input.id = id;
  input.autocomplete = "off";
  input.maxLength = 40;
  input.setAttribute("aria-describedby", `${id}-hint ${id}-result`);
  const hint = el("p", "hint", t("landing.byInvitation"));
  hint.id = `${id}-hint`;
  const go = el("button", "", t("invite.redeem"));
  go.type = "submit";
  const result = el("p", "invite-result");
  result.id = `${id}-result`;
  result.setAttribute("role", "status");
  box.append(hint, label, input, go, result);
  box.addEventListener("submit", (e) => {
    e.preventDefault();
    const code = input.value.trim();
    if (code) redeeming.set(client.request({ type: "redeem", code }), room.id);
  });
  return box;
}

function renderResources(list, resources) {
  list.replaceChildren();
  for (const r of resources) {
    const item = el("li", "resource");
    // The emergency number's name is the catalogue's; a reloaded tab can paint its lines
    // before the catalogue has come: the number alone then, never a raw key, and the name
    // as soon as it comes (keyed: applyTo; the lines are painted again too).
    const label = r.name ? el("strong", "", r.name[lang()] ?? r.name.fi)
      : keyed(el("strong"), "help.emergency");
    if (!r.name && !has("help.emergency")) label.textContent = "";
    const name = label.textContent;
    item.append(label);
    const phone = el("a", "phone", r.phone);
    phone.href = `tel:${r.phone.replace(/\s/g, "")}`;
    if (name && has("help.call")) {
      phone.setAttribute("aria-label", t("help.call", { name, phone: r.phone }));
    }
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
  $("hidden").checked = false;
  $("hidden-choice").hidden = room.access !== "drop_in";
  // A closed group keeps the name its members joined with: no name to choose here.
  $("name-field").hidden = room.access === "closed";
  $("closed-name").hidden = room.access !== "closed";
  const own = room.rules?.[lang()];
  $("room-rules").textContent = own ?? "";
  $("room-rules").hidden = !own;
  show("rules");
  $("accept").focus();
}
$("rules-back").addEventListener("click", () => show("landing"));

async function rulesChanged(roomId) {
  await loadRooms();
  const room = state.rooms?.find((r) => r.id === roomId) ?? state.room;
  if (!room) { show("landing"); return; }
  openRules(room);
  $("name-error").textContent = t("rules.changed");
}
$("join-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = state.room.access === "closed" ? "" : $("name").value.trim();
  client.join(state.room.id, name && name !== state.me?.pseudonym ? name : undefined,
    $("hidden").checked, state.room.rules_version ?? null);
});

// Chat -------------------------------------------------------------------------------------

function enterChat(joined) {
  resetHelp(joined.room);
  $("room-title").textContent = state.room.name[lang()] ?? state.room.name.fi;
  $("messages").replaceChildren();
  state.bySeq.clear();
  state.members = new Map(joined.members.map((m) => [m.member, m]));
  state.me.member = joined.member;
  state.readers = joined.readers ?? 0;
  state.reactions = new Map(Object.entries(joined.reactions ?? {}).map(([k, v]) => [Number(k), v]));
  state.muted = null;
  state.slowUntil = 0;
  state.deleting = null;
  renderControls(joined.controls ?? {});
  renderSession(joined.session ?? null, null);
  renderRound(joined.round ?? null);
  setMembersOpen(false);
  renderMembers();
  $("new-below").hidden = true;
  show("chat");
  $("text").focus();
}

// On a narrow screen the member list is folded away behind a button with the count.
function setMembersOpen(open) {
  $("chat").classList.toggle("members-open", open);
  $("members-toggle").setAttribute("aria-expanded", String(open));
}
$("members-toggle").addEventListener("click", () =>
  setMembersOpen($("members-toggle").getAttribute("aria-expanded") !== "true"));

// The message list follows new messages only while the reader is at its end: someone reading
// an earlier message is not pulled away, and is told that new ones came below.
const nearEnd = (list) => list.scrollHeight - list.scrollTop - list.clientHeight < 80;
function toEnd() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
  $("new-below").hidden = true;
}
function appendMessage(item, { follow = false } = {}) {
  const list = $("messages");
  const wasAtEnd = nearEnd(list);
  list.append(item);
  if (follow || wasAtEnd) toEnd();
  else $("new-below").hidden = false;
}
$("new-below").addEventListener("click", () => { toEnd(); $("messages").focus(); });
// The skip link: past the messages, straight to writing (or to why one cannot write now).
$("skip-to-composer").addEventListener("click", (e) => {
  e.preventDefault();
  if (!$("text").disabled) { $("text").focus(); return; }
  $("composer-note").tabIndex = -1;
  $("composer-note").focus();
});
$("messages").addEventListener("scroll", () => {
  if (nearEnd($("messages"))) $("new-below").hidden = true;
});

function renderMembers() {
  $("readers").textContent = state.readers ? t("chat.readers", { n: state.readers }) : "";
  $("members-toggle").textContent = t("chat.presentCount",
    { n: (state.members?.size ?? 0) + (state.readers ?? 0) });
  const list = $("members");
  list.replaceChildren();
  for (const m of state.members.values()) {
    const item = el("li", "", m.name);
    if (m.role !== "participant") item.append(" ", el("span", "role", t(`role.${m.role}`)));
    if (m.member === state.me.member) item.append(" ", el("span", "me", `(${t("chat.you")})`));
    if (state.ignored.has(m.member)) {
      item.append(" ", el("span", "ignored", `(${t("chat.ignoredMark")})`), " ",
        button(t("chat.unignore"), () => setIgnored(m.member, m.name, false)));
    }
    list.append(item);
  }
}

/** Ignore a participant, or stop: their messages fold away for this person only. */
function setIgnored(member, name, on) {
  if (on) state.ignored.add(member); else state.ignored.delete(member);
  localStorage.setItem(IGNORED_KEY, JSON.stringify([...state.ignored]));
  for (const [seq, frame] of state.frames) if (frame.member === member) refresh(seq);
  renderMembers();
  if (on) {
    showNotice(() => [el("p", "", t("chat.ignoredNote", { name })),
      button(t("chat.unignore"), () => { setIgnored(member, name, false); showNotice(null); })]);
  }
}

function note(text) {
  appendMessage(el("li", "note", text));
}

function renderMessage(frame, { live }) {
  state.frames.set(frame.seq, frame);
  const existing = state.bySeq.get(frame.seq);
  const mine = frame.member === state.me.member;
  const item = el("li", mine ? "message mine" : "message");
  item.dataset.seq = String(frame.seq);
  if (state.ignored.has(frame.member) && !state.shownOnce.has(frame.seq)) {
    // Folded: no name, no text, not announced; one click opens this one message.
    item.classList.add("ignored");
    item.append(el("p", "text removed", t("chat.ignoredMessage")),
      button(t("cw.show"), () => { state.shownOnce.add(frame.seq); refresh(frame.seq); }));
    if (existing) existing.replaceWith(item);
    else appendMessage(item);
    state.bySeq.set(frame.seq, item);
    return;
  }
  const head = el("p", "meta");
  head.append(el("span", "name", frame.name));
  if (frame.role !== "participant") head.append(" ", el("span", "role", t(`role.${frame.role}`)));
  head.append(" ", el("time", "", formatTime(frame.ts)));
  if (frame.edited) head.append(" ", el("span", "edited", `(${t("chat.edited")})`));
  item.append(head);
  const quoted = frame.reply_to ? state.frames.get(frame.reply_to) : null;
  if (quoted?.text) {
    // A quoted message under a warning stays folded in the quote too.
    item.append(el("p", "quote", folded(quoted) ? t("cw.label") : quoted.text.slice(0, 80)));
  }
  if (frame.redacted) {
    item.append(el("p", "text removed", t(frame.redacted === "writer"
      ? "chat.removedByWriter" : "chat.removedByFacilitator")));
  } else {
    const text = el("p", "text", frame.text);
    if (folded(frame)) {
      // A heavy message: the warning first, the text only when the reader chooses. Crisis
      // language is folded so for the others; its writer sees it as written.
      const topic = frame.cw || (frame.flag === "crisis" ? t("cw.crisisTopic") : "");
      const warn = el("p", "cw");
      warn.append(el("strong", "", t("cw.label")), topic ? `: ${topic} ` : " ");
      const open = el("button", "link", t("cw.show"));
      open.type = "button";
      open.setAttribute("aria-expanded", "false");
      text.hidden = true;
      open.addEventListener("click", () => {
        text.hidden = !text.hidden;
        open.setAttribute("aria-expanded", String(!text.hidden));
        open.textContent = t(text.hidden ? "cw.show" : "cw.hide");
      });
      warn.append(open);
      item.append(warn);
    }
    item.append(text);
    // Two tab stops a message: the reactions (one toolbar, arrows inside) and one menu of
    // actions; the skip link above the messages goes straight to the composer.
    const tools = el("div", "tools");
    tools.append(reactionBar(frame.seq));
    const actions = [[t("chat.reply"), () => startReply(frame)]];
    if (mine) {
      actions.push([t("chat.edit"), () => startEdit(frame)],
        [t("chat.delete"), () => askDelete(frame)]);
    } else {
      // Facilitators' messages (warnings, guidance) are not for ignoring.
      if (frame.role === "participant") {
        actions.push([t("chat.ignore"), () => setIgnored(frame.member, frame.name, true),
          { "aria-label": t("chat.ignoreName", { name: frame.name }) }]);
      }
      actions.push([t("chat.report"), () => openReport(frame)]);
    }
    tools.append(menu(t("chat.actions"), t(mine ? "chat.actionsMine" : "chat.actionsFor",
      { name: frame.name }), actions));
    item.append(tools);
    if (state.deleting === frame.seq) item.append(deleteConfirm(frame));
  }
  if (existing) existing.replaceWith(item);
  else appendMessage(item, { follow: mine && live });
  state.bySeq.set(frame.seq, item);
  if (live && !mine && !frame.redacted) {
    const spoken = folded(frame) ? t("cw.label") : frame.text;
    $("announce").textContent = t("chat.newMessage", { name: frame.name, text: spoken });
  }
}

/** Whether a message is shown folded under a content warning to this reader: one the writer
 * marked, or one with crisis language (for everyone but its writer); unless the reader chose
 * to always see warned messages. */
function folded(frame) {
  if (state.alwaysShow) return false;
  return frame.cw !== undefined || (frame.flag === "crisis" && frame.member !== state.me?.member);
}

// Deleting one's message removes it for everyone, for good: it asks first, in the message.
function askDelete(frame) {
  state.deleting = frame.seq;
  refresh(frame.seq);
  state.bySeq.get(frame.seq)?.querySelector(".delete-confirm button")?.focus();
}
function deleteConfirm(frame) {
  const box = el("div", "delete-confirm");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", t("chat.deleteQuestion"));
  const done = (send) => {
    state.deleting = null;
    if (send) client.request({ type: "delete", room: state.room.id, seq: frame.seq });
    refresh(frame.seq);
    state.bySeq.get(frame.seq)?.querySelector(".menu-button")?.focus();
  };
  box.append(el("p", "", t("chat.deleteQuestion")),
    button(t("chat.deleteYes"), () => done(true), "danger"),
    button(t("common.cancel"), () => done(false), "secondary"));
  return box;
}

function reactionBar(seq) {
  const bar = el("div", "reactions");
  // A toolbar: one tab stop, the arrow keys move between the reactions.
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", t("react.label"));
  const current = state.reactionFocus?.seq === seq ? state.reactionFocus.kind : REACTIONS[0][0];
  const counts = state.reactions.get(seq) ?? {};
  const given = state.mine.get(seq) ?? new Set();
  for (const [kind, symbol] of REACTIONS) {
    const b = button(`${symbol} ${counts[kind] ?? ""}`.trim(), () => {
      const on = !given.has(kind);
      client.request({ type: "react", room: state.room.id, seq, reaction: kind, on });
      if (on) given.add(kind); else given.delete(kind);
      state.mine.set(seq, given);
    }, "reaction");
    b.setAttribute("aria-label", `${t(`react.${kind}`)} ${counts[kind] ?? 0}`);
    b.setAttribute("aria-pressed", String(given.has(kind)));
    b.dataset.reaction = kind;
    b.tabIndex = kind === current ? 0 : -1;
    b.addEventListener("focus", () => { state.reactionFocus = { seq, kind }; });
    bar.append(b);
  }
  bar.addEventListener("keydown", (e) => {
    const buttons = [...bar.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[e.key];
    if (to === undefined || at < 0) return;
    e.preventDefault();
    const next = buttons[(to + buttons.length) % buttons.length];
    for (const b of buttons) b.tabIndex = b === next ? 0 : -1;
    next.focus();
  });
  return bar;
}

function refresh(seq) {
  const frame = state.frames.get(seq);
  if (!frame || !state.bySeq.has(seq)) return;
  const focused = state.bySeq.get(seq).contains(document.activeElement)
    ? document.activeElement.dataset.reaction : undefined;
  renderMessage(frame, { live: false });
  if (focused) state.bySeq.get(seq).querySelector(`[data-reaction="${focused}"]`)?.focus();
}

function startEdit(frame, { text = frame.text, why = null } = {}) {
  state.editing = frame.seq;
  $("text").value = text;
  const bar = $("replying");
  bar.replaceChildren(el("span", "", why ?? t("chat.editing")), " ",
    button(t("chat.cancelEdit"), () => { state.editing = null; bar.hidden = true; $("text").value = ""; }));
  bar.hidden = false;
  $("text").focus();
}

// An edit that did not go through: the new text is never dropped silently. It goes back into
// the box, editing again where it still can, with the reason said (and read out).
function settleEdit(request, answer) {
  if (answer.type === "ack") return;
  const frame = state.frames.get(request.seq);
  if (answer.type === "confirm") {
    // Contact or identity details: the same question as for a new message.
    if (frame) startEdit(frame, { text: request.text });
    showNotice(() => {
      const yes = button(t("confirm.send"), () => {
        showNotice(null);
        client.request({ ...request, confirmed: true });
        if (state.editing === request.seq) {
          state.editing = null;
          $("replying").hidden = true;
          $("text").value = "";
        }
      }, "");
      const edit = button(t("confirm.edit"), () => { showNotice(null); $("text").focus(); },
        "secondary");
      const actions = el("div", "actions");
      actions.append(yes, edit);
      return [el("p", "", t("confirm.personal")), actions];
    });
    $("private-notice").querySelector("button")?.focus({ preventScroll: true });
    return;
  }
  if (answer.type !== "error") return;
  const why = errorText(answer.code);
  $("announce").textContent = why;
  if (frame && answer.code !== "edit_window_passed" && answer.code !== "message_not_found") {
    startEdit(frame, { text: request.text, why });
    return;
  }
  // It cannot be edited any more: the text stays in the box, to copy or to send anew.
  state.editing = null;
  if (!$("text").value) $("text").value = request.text;
  const bar = $("replying");
  bar.replaceChildren(el("span", "", why));
  bar.hidden = false;
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
// hold id -> the list item of a message waiting for a facilitator, until they decide
const heldItems = new Map();
function sendText(text, extra = {}) {
  const extras = { ...extra };
  if (state.replyTo) extras.reply_to = state.replyTo;
  const id = client.say(state.room.id, text, extras);
  const item = el("li", "message mine pending");
  item.append(el("p", "text", text), el("p", "status", t("chat.sending")));
  appendMessage(item, { follow: true });
  outgoing.set(id, { item, text, extras });
  state.replyTo = null;
  $("replying").hidden = true;
}

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("text").value = "";
  if (state.editing) {
    client.request({ type: "edit", room: state.room.id, seq: state.editing, text });
    state.editing = null;
    $("replying").hidden = true;
    return;
  }
  const extra = {};
  if ($("cw").checked) {
    extra.cw = $("cw-topic").value.trim();
    $("cw").checked = false;
    $("cw-topic").value = "";
    $("cw-topic").hidden = true;
  }
  sendText(text, extra);
});
$("cw").addEventListener("change", () => { $("cw-topic").hidden = !$("cw").checked; });
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
function leaveRoom() {
  client.leave(state.room.id);
  state.room = null;
  resetHelp();
  $("leave-panel").hidden = true;
  show("landing");
  loadRooms();
  support.roomLeft();
}
$("leave").addEventListener("click", () => { $("leave-panel").hidden = false; $("leave-only").focus(); });
$("leave-cancel").addEventListener("click", () => { $("leave-panel").hidden = true; });
$("leave-only").addEventListener("click", leaveRoom);
$("leave-erase").addEventListener("click", () => {
  client.request({ type: "erase", scope: "room", room: state.room.id });
  leaveRoom();
});
$("always-show").checked = state.alwaysShow;
$("always-show").addEventListener("change", () => {
  state.alwaysShow = $("always-show").checked;
  localStorage.setItem("vt.cwAlways", state.alwaysShow ? "1" : "0");
});
$("erase-all").addEventListener("click", () => { $("erase-confirm").hidden = false; });
$("erase-all-no").addEventListener("click", () => { $("erase-confirm").hidden = true; });
$("erase-all-yes").addEventListener("click", () => {
  $("erase-confirm").hidden = true;
  client.request({ type: "erase", scope: "all" });
});
client.addEventListener("deleted", (e) => {
  if (e.detail.room === undefined || e.detail.room === null) {
    $("forgotten").textContent = t("settings.erased", { n: e.detail.seqs.length });
  }
});
$("forget").addEventListener("click", () => {
  ChatClient.forget();
  localStorage.removeItem(GROUPS_KEY);
  support.forget();
  checkin.forget();
  client.stop();
  $("forgotten").textContent = t("settings.forgotten");
  state.me = null;
  client.connect(lang());
});
// "I need help now": the crisis lines open at once in a sheet that takes the focus (they are
// already loaded: nothing waits for the network); in a room the facilitators are told too,
// and the sheet says honestly whether anyone is there (help_status).
function openHelp() {
  const inRoom = Boolean(state.room) && !$("chat").hidden;
  askForHelp(inRoom ? state.room.id : null);
  renderResources($("help-lines"), state.resources);
  const dialog = $("help-dialog");
  if (!dialog.open) dialog.showModal();
  // The focus on the lines (read out with the sheet's title and what was done), the sheet
  // shown from its top: its title and quick exit first.
  $("help-lines").focus({ preventScroll: true });
  dialog.scrollTop = 0;
}
function crisisLines() {
  const lines = el("ul", "resources");
  renderResources(lines, state.resources);
  return lines;
}
// A help press answered by nothing (no lines, no status) within this long: the socket is
// taken for dead (half-open: a phone that slept, a network that changed).
const HELP_ANSWER_MS = 5000;
let helpWatch = null;
function askForHelp(room) {
  clearTimeout(helpWatch);
  state.helpStatus = null;
  state.helpUnsent = null;
  state.helpHeard = false;
  const id = room ? client.request({ type: "help", room }) : null;
  state.helpRequest = id;
  renderHelpStatus();
  if (!id) return;
  helpWatch = setTimeout(() => {
    if (state.helpRequest !== id || state.helpHeard || state.helpStatus) return;
    // Never "telling the facilitators" on: not confirmed, the lines stay, and it goes out
    // again once the room is joined on a new connection.
    state.helpStatus = "not_sent";
    state.helpUnsent = { room, at: Date.now() };
    renderHelpStatus();
    client.reconnectNow();
  }, HELP_ANSWER_MS);
}
function renderHelpStatus() {
  const status = $("help-dialog-status");
  if (state.helpRequest === null && !state.helpStatus) status.textContent = "";
  else status.textContent = t(state.helpStatus ? `help.status.${state.helpStatus}` : "help.sending");
  status.hidden = !status.textContent;
  renderHelpPanel();
}
/** Show the help panel above the composer; `crisis`: brought by crisis language in one's own
 * message (its lines stay whatever the status). */
function showHelpPanel(crisis) {
  state.helpPanel = { crisis: crisis || Boolean(state.helpPanel?.crisis) };
  renderHelpPanel();
}
/** The help panel as the current status says: its lines are shown unless a facilitator has
 * seen the call (and come back with released, unanswered...). Changed in place, so that a
 * screen reader hears what changed and the focus stays. */
function renderHelpPanel(rebuild = false) {
  const box = $("private-help");
  const panel = state.helpPanel;
  if (!panel) { box.replaceChildren(); return; }
  if (rebuild || !box.firstChild) {
    box.replaceChildren(el("p", "help-status"), el("p", "help-held"),
      el("p", "crisis-note", t("help.crisisNote")), crisisLines(),
      button(t("help.close"), () => { state.helpPanel = null; renderHelpPanel(); }));
  }
  const line = box.querySelector(".help-status");
  const text = state.helpStatus ? t(`help.status.${state.helpStatus}`) : "";
  if (line.textContent !== text) line.textContent = text;
  line.hidden = !text;
  const held = box.querySelector(".help-held");
  const heldText = state.helpHeld !== null ? t("help.heldCrisis") : "";
  if (held.textContent !== heldText) held.textContent = heldText;
  held.hidden = !heldText;
  box.querySelector(".crisis-note").hidden = !panel.crisis;
  box.querySelector(".resources").hidden = !panel.crisis && state.helpStatus === "seen";
}
/** A new room, or none: no word about a call for help made elsewhere follows the person. */
function resetHelp(room = null) {
  clearTimeout(helpWatch);
  state.helpStatus = null;
  state.helpAlert = null;
  state.helpRequest = null;
  state.helpPanel = null;
  state.helpHeld = null;
  state.seenAlerts.clear();
  if (state.helpUnsent?.room !== room) state.helpUnsent = null;
  showNotice(null);
  renderHelpStatus();
}
$("help-now").addEventListener("click", openHelp);
$("help-close").addEventListener("click", () => $("help-dialog").close());
$("help-dialog").addEventListener("close", () => {
  // What the sheet said about the call (nobody there, seen...) stays in view above the
  // composer, with the lines while they are needed: closing the sheet is not an answer.
  if (state.helpStatus && state.room && !$("chat").hidden) showHelpPanel(false);
  $("help-now").focus();
});

// Report: why, and an optional note; the reported person never learns who reported.
let reporting = null;
function openReport(frame) {
  reporting = frame;
  $("report-quote").textContent = `${frame.name}: ${frame.text.slice(0, 120)}`;
  $("report-form").reset();
  $("report-dialog").showModal();
}
$("report-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const report = { type: "report", room: state.room.id, seq: reporting.seq,
    category: new FormData($("report-form")).get("category") };
  const note = $("report-note").value.trim();
  if (note) report.note = note;
  client.request(report);
  $("report-dialog").close();
});
$("report-cancel").addEventListener("click", () => $("report-dialog").close());

// The room's controls, as everyone in it sees them: read-only, slow mode, waiting, pin.
function renderControls(controls) {
  state.controls = controls;
  const parts = [];
  if (controls.locked) parts.push(t("error.room_locked"));
  if (controls.slow_mode) parts.push(t("chat.slowMode", { s: controls.slow_mode }));
  if (controls.premoderated) parts.push(t("chat.premoderated"));
  $("room-state").textContent = parts.join(" ");
  const pinned = controls.pinned ? state.frames.get(controls.pinned) : null;
  $("room-pinned").hidden = !pinned?.text;
  $("room-pinned").replaceChildren(el("strong", "", t("controls.pinned")), " ", pinned?.text ?? "");
  renderComposer();
}

// The composer says why one cannot write now, instead of letting a message fail: in the lobby,
// in a locked group, while muted (until when, and why), and in slow mode (a countdown).
let composerTimer = null;
function renderComposer() {
  clearTimeout(composerTimer);
  const now = Date.now();
  if (state.muted?.until && state.muted.until <= now) endMute();
  const lobby = ["lobby", "scheduled"].includes(state.session?.state);
  const locked = Boolean(state.controls?.locked);
  const wait = Math.ceil((state.slowUntil - now) / 1000);
  let text = "";
  if (lobby) text = "";
  else if (locked) text = t("composer.locked");
  else if (state.muted) {
    text = state.muted.until ? t("composer.mutedUntil", { time: formatTime(state.muted.until) })
      : t("composer.muted");
  } else if (wait > 0) text = t("composer.slowWait", { s: wait });
  $("text").disabled = lobby || locked;
  $("send-form").querySelector("button[type=submit]").disabled = lobby || locked
    || Boolean(state.muted) || wait > 0;
  $("composer-note").textContent = text;
  $("composer-note").hidden = !text;
  // The countdown (and the mute's end) tick without a reload.
  const next = wait > 0 ? 1000 : state.muted?.until ? state.muted.until - now + 50 : 0;
  if (next > 0) composerTimer = setTimeout(renderComposer, Math.min(next, 60000));
}

function startMute(until, reason) {
  state.muted = { until: until ? Date.parse(until) : null, reason: reason ?? "" };
  showNotice(() => {
    const time = state.muted?.until ? formatTime(state.muted.until) : "";
    const parts = [el("p", "", t(time ? "sanction.muteUntil" : "sanction.mute", { time }))];
    if (state.muted?.reason) parts.push(el("p", "note-text", t("sanction.reason", { reason: state.muted.reason })));
    return parts;
  });
  renderComposer();
}

function endMute() {
  if (!state.muted) return;
  state.muted = null;
  showNotice(() => [el("p", "", t("sanction.unmuted"))]);
}

// Sessions: the lobby (read the rules, wait), live, ending, and the closing screen. ----------

function renderSession(session, event) {
  state.session = session;
  const banner = $("session-banner");
  const lines = [];
  const lobby = session?.state === "lobby" || session?.state === "scheduled";
  if (lobby) {
    lines.push(el("p", "", t("session.lobby", { time: formatDateTime(session.starts_at) })));
    // Said to those waiting at the start time, and to whoever arrives or reloads later.
    if (event === "no_facilitator" || session.alerted) {
      lines.push(el("p", "", t("session.noFacilitator")));
    }
    const own = state.room?.rules?.[lang()];
    if (own) lines.push(el("p", "room-rules", own));
  } else if (session?.state === "ending" || event === "extend") {
    lines.push(el("p", "", t("session.endsAt", { time: formatTime(Date.parse(session.ends_at)) })));
  }
  // Live and guided, but no facilitator has been here for a while: said to everyone in the
  // room and to whoever arrives or reloads later (the session carries it), until one is back.
  const away = ["live", "ending"].includes(session?.state) && Boolean(session.facilitator_away);
  if (away) lines.push(el("p", "facilitator-away", t("session.facilitatorAway")));
  if (session?.theme) lines.unshift(el("p", "", t("session.theme", { theme: session.theme })));
  banner.replaceChildren(...lines);
  banner.hidden = !lines.length;
  // In the lobby one can read but not yet write (the server refuses it too).
  renderComposer();
  if (event === "facilitator_open" || event === "start_by_schedule") {
    $("announce").textContent = t("session.started");
  }
  if (event === "facilitator_back") $("announce").textContent = t("session.facilitatorBack");
}

function closeSession(event) {
  closingAway = Boolean(event.away);
  // A call for help made in the group (sent, answered with a status, or waiting to go out)
  // can no longer be answered there: the close takes the person out of the room. Said beside
  // the crisis lines, not dropped with the rest of the help state.
  closingCall = state.helpRequest !== null || state.helpStatus !== null
    || state.helpUnsent?.room === event.room;
  state.closedSession = event.session;
  state.closing = event;
  client.rooms.delete(event.room); // closed: never rejoined on a reconnect
  renderClosing();
  $("feedback-form").reset();
  $("feedback-result").textContent = "";
  $("feedback-form").hidden = !event.feedback;
  $("feedback-send").disabled = false;
  state.room = null;
  state.muted = null;
  state.slowUntil = 0;
  resetHelp();
  show("closing");
  $("closing-title").tabIndex = -1;
  $("closing-title").focus();
  support.roomLeft();
}

// The closing screen: the facilitator's closing words (as written, in their language), the
// next meeting in the reader's own time zone, the crisis lines.
let closingAway = false; // the session closed while this page was not connected
let closingCall = false; // this person's call for help was open when it closed
function renderClosing() {
  const event = state.closing;
  if (!event) return;
  // Closed before it went live (the server says `held: false`): no thanks for a meeting that
  // did not happen. The keys go on the elements, so a language switch keeps them.
  const held = event.held !== false;
  for (const [id, key, notHeld] of [["closing-title", "closing.title", "closing.notHeldTitle"],
    ["closing-lead", "closing.lead", "closing.notHeldLead"]]) {
    $(id).dataset.i18n = held ? key : notHeld;
    $(id).textContent = t($(id).dataset.i18n);
  }
  $("closing-away").hidden = !closingAway;
  $("closing-call").hidden = !closingCall;
  renderResources($("closing-resources"), event.resources ?? []);
  const words = event.message?.trim() ?? "";
  $("closing-words").hidden = !words;
  $("closing-words-by").textContent = event.by ? t("closing.wordsBy", { name: event.by })
    : t("closing.words");
  $("closing-message").textContent = words;
  $("closing-next").textContent = event.next
    ? t("closing.next", { time: formatDateTime(event.next) }) : "";
  $("closing-next").hidden = !event.next;
}

$("feedback-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const rating = Number(new FormData($("feedback-form")).get("rating"));
  if (!rating) { $("feedback-result").textContent = t("feedback.choose"); return; }
  const frame = { type: "feedback", session: state.closedSession.id, rating };
  const text = $("feedback-text").value.trim();
  if (text) frame.text = text;
  client.request(frame);
});
$("closing-back").addEventListener("click", () => { state.closing = null; show("landing"); loadRooms(); });

// The sharing round: whose turn it is, and a hand to raise (or a pass).
function renderRound(round) {
  state.round = round;
  $("round").hidden = !round?.active;
  if (!round?.active) return;
  const me = state.me?.member;
  $("round-turn").textContent = round.turn
    ? t(round.turn.member === me ? "round.yourTurn" : "round.turn", { name: round.turn.name })
    : t("round.waiting");
  const raised = round.raised.some((m) => m.member === me);
  $("round-raise").hidden = raised;
  $("round-lower").hidden = !raised;
}
for (const action of ["raise", "lower", "pass"]) {
  $(`round-${action}`).addEventListener("click", () =>
    client.request({ type: "round", room: state.room.id, action }));
}

// Closed groups: an invite code from the group's facilitator makes this identity a member.
$("invite-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const code = $("invite-code").value.trim();
  if (code) client.request({ type: "redeem", code });
});

// What is said privately above the composer: the help panel (#private-help: where a call for
// help stands, and the crisis lines) and beside it one notice (#private-notice: a confirmation
// asked, a sanction, a report received). A notice never replaces the crisis lines. The notice
// is kept as the function that builds it, so that a change of language says it again.
let noticeBuilder = null;
function showNotice(build) {
  noticeBuilder = build;
  $("private-notice").replaceChildren(...(build ? build() : []));
}

// Server events ----------------------------------------------------------------------------

client.addEventListener("welcome", (e) => { state.me = { pseudonym: e.detail.pseudonym }; });
// A held message decided: approved, it is in the conversation as a message of the room
// (the waiting copy goes); not approved, the person is told, not left waiting.
function heldDecided(hold) {
  if (hold !== state.helpHeld) return;
  state.helpHeld = null;
  renderHelpPanel();
}
client.addEventListener("hold_released", (e) => {
  heldItems.get(e.detail.hold)?.item.remove();
  heldItems.delete(e.detail.hold);
  heldDecided(e.detail.hold);
});
client.addEventListener("hold_rejected", (e) => {
  heldDecided(e.detail.hold);
  const held = heldItems.get(e.detail.hold);
  if (!held) return;
  heldItems.delete(e.detail.hold);
  held.item.classList.remove("pending");
  held.status.textContent = t("chat.heldRejected");
  // Said aloud too: a screen reader does not read a status that changes in the list.
  $("announce").textContent = t("chat.heldRejectedAnnounce", { text: held.text });
});
client.addEventListener("answer", (e) => {
  const { request, answer } = e.detail;
  if (request.type === "help" && answer.type === "error" && request.id === state.helpRequest) {
    // Nobody was told (offline, or the server could not take it): say so, never "telling
    // the facilitators" on; it goes out again when the room is joined again after a break.
    state.helpStatus = "not_sent";
    state.helpUnsent = { room: request.room, at: Date.now() };
    renderHelpStatus();
    return;
  }
  if (request.type === "join") {
    if (answer.type === "joined") {
      if (!$("chat").hidden && answer.room === state.room?.id) return; // a resume
      if (state.room?.access === "closed") rememberGroup(answer.room, true);
      state.me.pseudonym = answer.name;
      enterChat(answer);
      if (!answer.complete) note(t("chat.missed"));
    } else if (answer.type === "error") {
      client.rooms.delete(request.room);
      if (answer.code === "rules_not_accepted") {
        // The rules changed since they were read: show the new ones to accept again.
        rulesChanged(request.room);
        return;
      }
      if (answer.code === "not_a_member") {
        // Not (or no longer) in the group: back to its card, with the code form.
        rememberGroup(request.room, false);
        show("landing");
        cardNotice(request.room, errorText(answer.code));
        return;
      }
      $("name-error").textContent = errorText(answer.code);
    }
    return;
  }
  if (request.type === "send") settleSend(request, answer);
  if (request.type === "edit") settleEdit(request, answer);
  if (request.type === "redeem") {
    const card = redeeming.get(request.id);
    redeeming.delete(request.id);
    const done = answer.type === "redeemed";
    const text = done ? t("invite.done", { room: roomName(answer.room) }) : errorText(answer.code);
    if (done) rememberGroup(answer.room, true);
    if (card) {
      if (done) loadRooms().then(() => cardNotice(answer.room, text));
      else {
        const result = $(`invite-code-${card}-result`);
        if (result) result.textContent = text;
      }
    } else {
      $("invite-result").textContent = text;
      if (done) { $("invite-code").value = ""; loadRooms(); }
    }
  }
  if (request.type === "feedback") {
    const saved = answer.type === "feedback_saved" || answer.code === "feedback_given";
    $("feedback-result").textContent = saved ? t("feedback.thanks") : errorText(answer.code);
    if (saved) $("feedback-send").disabled = true;
  }
  if (request.type === "report" && answer.type === "reported") {
    showNotice(() => [el("p", "", t("chat.reported"))]);
  }
});

function settleSend(request, answer) {
  const entry = outgoing.get(request.id);
  if (!entry) return;
  outgoing.delete(request.id);
  const status = entry.item.querySelector(".status");
  if (answer.type === "ack") {
    entry.item.remove();
    if (state.controls?.slow_mode) {
      state.slowUntil = Date.now() + state.controls.slow_mode * 1000;
      renderComposer();
    }
    return;
  }
  if (answer.type === "held") {
    status.textContent = t("chat.held");
    heldItems.set(answer.hold, { item: entry.item, status, text: entry.text });
    // Crisis language held (a filter, pre-moderation): beside the crisis lines, where a
    // phone shows what matters, the person reads that their words wait for a facilitator.
    if (answer.crisis) {
      state.helpHeld = answer.hold;
      showHelpPanel(true);
    }
    return;
  }
  if (answer.type === "confirm") {
    // Nothing was posted: the text goes back into the box, to send as it is or to edit.
    entry.item.remove();
    if (!$("text").value) $("text").value = entry.text;
    // Beside the crisis lines a crisis message with personal details brought: never over them.
    showNotice(() => {
      const yes = button(t("confirm.send"), () => {
        showNotice(null);
        if ($("text").value.trim() === entry.text) $("text").value = "";
        sendText(entry.text, { ...entry.extras, confirmed: true });
      }, "");
      const edit = button(t("confirm.edit"), () => {
        showNotice(null);
        $("text").focus();
      }, "secondary");
      const actions = el("div", "actions");
      actions.append(yes, edit);
      return [el("p", "", t("confirm.personal")), actions];
    });
    // The answer's button gets the focus, but the crisis lines above it stay what is seen
    // first: focusing must not scroll them out of the private area on a small screen.
    $("private-notice").querySelector("button")?.focus({ preventScroll: true });
    if ($("private-help").firstChild) $("private").scrollTop = 0;
    else $("private-notice").scrollIntoView({ block: "nearest" });
    return;
  }
  // Muted, or too soon in slow mode: the composer says why and until when, and the text goes
  // back into the box (nothing is lost, and there is nothing to "try again").
  if (answer.type === "error" && ["muted", "slow_mode", "room_locked"].includes(answer.code)) {
    entry.item.remove();
    if (!$("text").value) $("text").value = entry.text;
    if (answer.code === "muted" && !state.muted) {
      startMute(answer.retry_after ? new Date(Date.now() + answer.retry_after * 1000).toISOString() : null, "");
    } else if (answer.code === "slow_mode") {
      state.slowUntil = Date.now() + (answer.retry_after ?? state.controls?.slow_mode ?? 0) * 1000;
    } else if (answer.code === "room_locked") {
      state.controls = { ...state.controls, locked: true };
    }
    renderComposer();
    return;
  }
  // Not sent: say so, keep the text, offer to try again. Nothing is lost silently.
  entry.item.classList.add("failed");
  status.textContent = `${errorText(answer.code)} – ${t("chat.failed")}`;
  const retry = el("button", "link", t("chat.retry"));
  retry.type = "button";
  retry.addEventListener("click", () => {
    // The same id: if the first try was stored after all, the server answers with its ack.
    retry.remove();
    entry.item.classList.remove("failed");
    status.textContent = t("chat.sending");
    outgoing.set(request.id, entry);
    client.resend(request.id, request);
  });
  entry.item.append(retry);
}
// The connection broke before the answer came: the client sends it again once it is back.
client.addEventListener("waiting", (e) => {
  const entry = outgoing.get(e.detail.request.id);
  if (entry) entry.item.querySelector(".status").textContent = t("chat.waitingConnection");
});

client.addEventListener("message", (e) => renderMessage(e.detail, { live: true }));
client.addEventListener("message_redacted", (e) => {
  const frame = state.frames.get(e.detail.target);
  if (frame) {
    const { text: _text, cw: _cw, ...rest } = frame;
    state.frames.set(frame.seq, { ...rest, redacted: e.detail.by });
    refresh(frame.seq);
  }
});
client.addEventListener("message_edited", (e) => {
  const frame = state.frames.get(e.detail.target);
  if (frame) {
    state.frames.set(frame.seq, { ...frame, text: e.detail.text, edited: e.detail.ts,
      ...(e.detail.flag ? { flag: e.detail.flag } : {}) });
    refresh(frame.seq);
  }
});
client.addEventListener("message_warned", (e) => {
  const frame = state.frames.get(e.detail.target);
  if (frame) {
    state.frames.set(frame.seq, { ...frame, cw: e.detail.cw });
    refresh(frame.seq);
  }
});
client.addEventListener("reactions", (e) => {
  state.reactions.set(e.detail.target, e.detail.counts);
  refresh(e.detail.target);
});
client.addEventListener("synced", (e) => {
  if (e.detail.room === state.room?.id && state.controls) renderControls(state.controls); // the pin's text came with the history
});
client.addEventListener("session", (e) => {
  if (e.detail.room !== state.room?.id) return;
  if (["close", "auto_close", "cancel"].includes(e.detail.event)) closeSession(e.detail);
  else renderSession(e.detail.session, e.detail.event);
});
client.addEventListener("round", (e) => {
  if (e.detail.room === state.room?.id) renderRound(e.detail.round);
});
client.addEventListener("room_controls", (e) => {
  if (e.detail.room === state.room?.id) renderControls(e.detail);
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
  if (e.detail.member === state.me?.member || state.ignored.has(e.detail.member)) return;
  $("typing").textContent = t("chat.typing", { name: e.detail.name });
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => { $("typing").textContent = ""; }, 4000);
});
client.addEventListener("crisis_resources", (e) => {
  if (!e.detail.room) return; // one-to-one support's: support.js shows them
  state.resources = e.detail.resources;
  if (e.detail.id && e.detail.id === state.helpRequest) state.helpHeard = true;
  if ($("help-dialog").open || (e.detail.id && e.detail.id === state.helpRequest)) {
    renderResources($("help-lines"), state.resources);
    return;
  }
  // Crisis language in one's own message: the lines, privately, right above the composer;
  // nothing is blocked, and it can be put away.
  state.helpStatus = null;
  state.helpPanel = { crisis: true };
  renderHelpPanel(true); // the lines as just received
});
// Back in the room after a break (the client joins again by itself): a request for help
// that did not get through goes out now, if it is recent (not on a visit hours later).
const HELP_RESEND_MS = 10 * 60 * 1000;
client.addEventListener("joined", (e) => {
  const unsent = state.helpUnsent;
  if (unsent?.room === e.detail.room && Date.now() - unsent.at < HELP_RESEND_MS) {
    askForHelp(unsent.room);
  }
});
client.addEventListener("help_status", (e) => {
  if (e.detail.room !== state.room?.id) return;
  // "Seen" can overtake "told" (they come from different processes): a person a facilitator
  // has seen must not be told afterwards that one was only told, or that nobody is there.
  // Only the facilitator's leaving without answering (released...) undoes "seen".
  const { alert, status } = e.detail;
  state.helpHeard = true;
  // Said again when this person is back in the room (a reconnect): nothing new to show.
  if (alert != null && alert === state.helpAlert && status === state.helpStatus) return;
  // A help asked for here that the server could not pass on yet (the database away): it
  // tries again itself, and the page sends it again if the connection breaks before any
  // other word came.
  if (status === "not_sent" && state.helpRequest !== null) {
    state.helpUnsent = { room: e.detail.room, at: Date.now() };
  } else if (status !== "not_sent" && state.helpUnsent?.room === e.detail.room) {
    state.helpUnsent = null;
  }
  if (status === "seen" && alert != null) state.seenAlerts.add(alert);
  else if (status.startsWith("released")) state.seenAlerts.delete(alert);
  else if (alert != null && state.seenAlerts.has(alert)) return;
  state.helpStatus = status;
  if (alert != null) state.helpAlert = alert;
  renderHelpStatus();
  // A later word may come after the sheet was closed: then it is said above the composer
  // (again, if the panel was put away), with the crisis lines unless a facilitator has seen it.
  if (!$("help-dialog").open) showHelpPanel(false);
});
// Back in the room after a reconnect: what was missed and who is here now.
client.addEventListener("rejoined", (e) => {
  const joined = e.detail;
  if (joined.room !== state.room?.id || $("chat").hidden) return;
  if (joined.complete === false) note(t("chat.missed"));
  state.members = new Map((joined.members ?? []).map((m) => [m.member, m]));
  state.readers = joined.readers ?? 0;
  renderMembers();
  if (state.rejoining) {
    state.rejoining = false;
    sayConnection($("connection"), "connection.back", true);
  }
});
// The rejoin was refused for now (the service busy): the client tries again; until then the
// person is not told that they are back.
client.addEventListener("rejoin_waiting", (e) => {
  if (e.detail.room !== state.room?.id) return;
  state.rejoining = true;
  sayConnection($("connection"), "connection.reconnecting");
});
// The rejoin was refused for good: the person is never left in a room they are not in.
client.addEventListener("rejoin_failed", (e) => {
  const { room, code } = e.detail;
  if (room !== state.room?.id || $("chat").hidden) return;
  state.rejoining = false;
  clearConnection($("connection"));
  if (code === "banned") {
    showNotice(() => [el("p", "", t("sanction.ban"))]); // as a ban said while connected
    return;
  }
  const session = state.session;
  if (code === "room_closed" && session?.id) {
    // The session closed while the phone slept: its closing screen, with the crisis lines
    // (the closing words were in the event this page never got).
    const attended = ["live", "ending"].includes(session.state);
    closeSession({ room, session, resources: state.resources, feedback: attended, away: true });
    nextMeeting(room);
    return;
  }
  // Not in the room any more (the client forgot it): back to its card, saying why.
  state.room = null;
  resetHelp();
  support.roomLeft();
  if (code === "rules_not_accepted") { rulesChanged(room); return; }
  show("landing");
  loadRooms().then(() => cardNotice(room, t("connection.roomLost", { why: errorText(code) })));
});
/** The next meeting of a room, for a closing screen made without the closing event. */
async function nextMeeting(room) {
  const answer = await fetch(`/api/rooms/${encodeURIComponent(room)}/sessions`).catch(() => null);
  const upcoming = answer?.ok ? await answer.json() : [];
  const next = upcoming.find((s) => s.state === "scheduled");
  if (next && state.closing?.room === room) {
    state.closing.next = next.starts_at;
    renderClosing();
  }
}
// Reconnecting has stopped (the server closed this connection for good): said, with what to do.
client.addEventListener("refused", () => {
  const line = $("connection");
  clearConnection(line);
  // Keyed, so that a language picked while (or just before) it is said relabels it.
  line.replaceChildren(keyed(el("span", "", t("connection.stopped")), "connection.stopped"), " ",
    keyed(button(t("connection.reload"), () => location.reload(), "secondary"),
      "connection.reload"));
  line.hidden = false;
});
// A socket can be half-open after the phone slept or the network changed: checked at once.
client.followNetwork();
client.addEventListener("sanction", (e) => {
  if (e.detail.room !== state.room?.id) return;
  if (e.detail.sanction === "mute") { startMute(e.detail.until, e.detail.reason); return; }
  if (e.detail.sanction === "unmute") { endMute(); renderComposer(); return; }
  const key = { kick: "sanction.kick", ban: "sanction.ban" }[e.detail.sanction];
  if (!key) return;
  // Removed: not joined again by itself after a reconnect.
  client.rooms.delete(e.detail.room);
  showNotice(() => [el("p", "", t(key))]);
});
client.addEventListener("warning", (e) => showNotice(() => [el("p", "", e.detail.text)]));
// Back means back in the room: while the room is being joined again, "Reconnecting…" stays
// (its messages and a call for help would not reach the group yet).
const rejoiningRoom = () => Boolean(state.room) && !$("chat").hidden && client.rooms.has(state.room.id);
client.addEventListener("reconnected", () => { if (rejoiningRoom()) state.rejoining = true; });
showConnection(client, $("connection"), () => !rejoiningRoom());

// A private conversation from an alert, beside the group (on a phone, a sheet over it that
// can be folded down to a bar to see the group).
const side = { name: "", open: true };
function renderSideToggle() {
  const toggle = $("side-conv-toggle");
  toggle.textContent = side.open ? t("side.toGroup") : t("side.toPrivate", { name: side.name });
  toggle.setAttribute("aria-expanded", String(side.open));
  $("chat").classList.toggle("side-folded", !side.open);
}
$("side-conv-toggle").addEventListener("click", () => {
  side.open = !side.open;
  $("side-conv-toggle").classList.remove("unread");
  renderSideToggle();
  if (side.open) $("support-text").focus();
});
// The header's height: the sheet on a phone opens below it (help and quick exit stay in view).
const header = document.querySelector("header.bar");
new ResizeObserver(() => document.documentElement.style.setProperty("--bar-height",
  `${header.offsetHeight}px`)).observe(header);
const beside = {
  inRoom: () => Boolean(state.room) && !$("chat").hidden,
  open(name) {
    side.name = name;
    side.open = true;
    $("side-conv").append($("support-conv"));
    $("side-conv").hidden = false;
    $("chat").classList.add("with-side");
    renderSideToggle();
  },
  close() {
    $("support").insertBefore($("support-conv"), $("support-ended"));
    $("side-conv").hidden = true;
    $("chat").classList.remove("with-side", "side-folded");
    if (!$("chat").hidden) $("text").focus();
  },
  unread() {
    if (!side.open) $("side-conv-toggle").classList.add("unread");
  },
};

// One-to-one support (static/js/support.js).
const support = initSupport({ client, show, renderResources, beside,
  lines: () => state.resources });
// How one feels at the start and the end of a session (static/js/checkin.js).
const checkin = initCheckin({ client, room: () => state.room });

// Start ------------------------------------------------------------------------------------

/** A new language: everything on screen says itself again in it (the texts people wrote stay
 * as written). */
function relabel() {
  renderRooms();
  renderResources($("resources"), state.resources);
  support.relabel();
  if (state.room && !$("chat").hidden) {
    $("room-title").textContent = state.room.name[lang()] ?? state.room.name.fi;
    renderMembers();
    renderControls(state.controls ?? {});
    renderSession(state.session ?? null, null);
    renderRound(state.round ?? null);
    for (const seq of state.bySeq.keys()) refresh(seq);
    if (noticeBuilder) showNotice(noticeBuilder);
    renderHelpPanel(true);
    const typed = $("text").value;
    if (state.editing && state.frames.has(state.editing)) startEdit(state.frames.get(state.editing));
    else if (state.replyTo && state.frames.has(state.replyTo)) startReply(state.frames.get(state.replyTo));
    $("text").value = typed;
  }
  if (!$("closing").hidden) renderClosing();
  if (!$("rules").hidden && state.room) {
    const own = state.room.rules?.[lang()];
    $("room-rules").textContent = own ?? "";
    $("room-rules").hidden = !own;
  }
  if (!$("side-conv").hidden) renderSideToggle();
  renderHelpStatus();
  renderResources($("help-lines"), state.resources);
}

async function start() {
  const chosen = await startLang($("lang"), relabel);
  setResources(state.resources); // the emergency number, before anything is loaded
  client.connect(chosen);
  support.load();
  await loadRooms();
  applyTo(document);
}
start();
