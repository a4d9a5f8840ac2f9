// Admin pages: staff accounts and their rooms, each room's filters, crisis resources, and the
// audit log. Everything the admin types or reads goes in with textContent or .value.
import { exceptionControls, startExceptions } from "./admin-exceptions.js";
import { relabelOneToOneSettings, startOneToOneSettings } from "./admin-o2o.js";
import { editButton, relabelRoomEditor, startRoomEditor } from "./admin-rooms.js";
import { relabelStats, renderStatsRooms, startStats } from "./admin-stats.js";
import { $, button, el, field } from "./dom.js";
import { inviteMaker, roster } from "./group-members.js";
import { LANGS, applyTo, formatDateTime, has, lang, locale, startLang, t } from "./i18n.js";
import { watchOpenAlerts } from "./open-alerts.js";
import { signIn, showAccount, StaffApi, staffError } from "./staffapi.js";

const api = new StaffApi();
const state = { rooms: [], accounts: [], filters: null, resources: [], audit: [] };
const say = (text) => { $("status-live").textContent = text; };
const roomName = (room) => room.name[lang()] ?? room.name.fi;
const label = (key) => t(has(key) ? key : "common.unknown", { key });

function formatStamp(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "short" })
    .format(new Date(iso));
}

// Rooms ------------------------------------------------------------------------------------

async function loadRooms() {
  state.rooms = await fetch("/api/rooms", { cache: "no-store" }).then((r) => r.json());
  renderRoomChoice();
  renderRoomCards();
  renderStatsRooms();
}

function renderRoomCards() {
  const list = $("room-cards");
  const open = new Set([...list.querySelectorAll("details[open]")].map((d) => d.dataset.room));
  list.replaceChildren();
  for (const room of state.rooms) {
    const item = el("li", "card");
    item.append(el("h3", "", roomName(room)),
      el("p", "hint", t("rooms.line", { id: room.id,
        kind: t(room.kind === "guided" ? "landing.guided" : "landing.unguided"),
        mode: t(room.session_mode === "sessions" ? "rooms.modeSessions" : "rooms.modeAlways") })),
      editButton(room));
    // A closed group's invite codes and members, right beside the group.
    if (room.access === "closed") item.append(groupMembers(room, open.has(room.id)));
    list.append(item);
  }
}

function groupMembers(room, open) {
  const box = el("details", "group-members");
  box.dataset.room = room.id;
  box.append(el("summary", "", t("rooms.invitesAndMembers", { name: roomName(room) })));
  const members = el("div", "roster-box");
  const view = roster(api, room.id, members, { say });
  box.append(inviteMaker(api, room.id, { say }), members);
  box.addEventListener("toggle", () => { if (box.open) view.load(); });
  box.open = open;
  return box;
}

// Names, descriptions, who it is for and the room's own ground rules, in every language.
const ROOM_TEXTS = [["names", true, 80], ["descriptions", false, 500],
  ["target_group", false, 120], ["ground_rules", false, 4000]];
function renderRoomTexts() {
  const box = $("room-texts");
  const typed = Object.fromEntries([...box.querySelectorAll("[data-key]")].map((i) => [i.dataset.key, i.value]));
  box.replaceChildren();
  for (const [part, required, max] of ROOM_TEXTS) {
    for (const code of LANGS) {
      const input = el(part === "ground_rules" ? "textarea" : "input");
      input.maxLength = max;
      input.required = required;
      input.dataset.key = `${part}.${code}`;
      input.value = typed[input.dataset.key] ?? "";
      box.append(field(t(`rooms.${part}`, { lang: t(`lang.${code}`) }), input));
    }
  }
}

$("new-room").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("new-room-error").textContent = "";
  const body = { id: $("room-id").value.trim(), kind: $("room-kind").value,
    access: $("room-access").value, session_mode: $("room-mode").value,
    capacity: Number($("room-capacity").value), retention: $("room-retention").value };
  for (const input of $("room-texts").querySelectorAll("[data-key]")) {
    const [part, code] = input.dataset.key.split(".");
    if (input.value.trim()) (body[part] ??= {})[code] = input.value.trim();
  }
  const answer = await api.call("POST", "/api/rooms", body);
  if (!answer.ok) {
    const why = answer.body.error === "exists" ? t("rooms.exists")
      : answer.body.field ? t("rooms.checkField", { field: label(`rooms.field.${answer.body.field}`) })
        : staffError(answer.body.error);
    $("new-room-error").textContent = why;
    return;
  }
  $("new-room").reset();
  for (const input of $("room-texts").querySelectorAll("[data-key]")) input.value = "";
  say(t("rooms.created", { name: answer.body.names[lang()] ?? answer.body.id }));
  await loadRooms();
  $("schedule-room").value = answer.body.id;
  renderAccounts();
  loadSchedules();
});

// Schedules: the next dates are shown in the reader's own time zone before saving. --------

function renderWeekdays() {
  const box = $("schedule-weekdays");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((c) => c.value));
  box.replaceChildren(el("legend", "", t("schedules.weekdays")));
  const names = new Intl.DateTimeFormat(locale(),
    { weekday: "long", timeZone: "UTC" });
  for (let day = 0; day < 7; day += 1) {
    const check = el("input");
    check.type = "checkbox";
    check.value = String(day);
    check.checked = checked.has(String(day));
    const choice = el("label");
    // 2024-01-01 was a Monday: day 0 of the server's week.
    choice.append(check, " ", names.format(Date.UTC(2024, 0, 1 + day)));
    box.append(choice);
  }
  box.hidden = $("schedule-frequency").value !== "weekly";
}
$("schedule-frequency").addEventListener("change", renderWeekdays);

function scheduleBody() {
  const body = { frequency: $("schedule-frequency").value, start_date: $("schedule-date").value,
    start_time: $("schedule-time").value, duration_minutes: Number($("schedule-duration").value) };
  if (body.frequency === "weekly") {
    body.weekdays = [...$("schedule-weekdays").querySelectorAll("input:checked")].map((c) => Number(c.value));
  }
  if ($("schedule-count").value) body.count = Number($("schedule-count").value);
  return body;
}

function renderDates(list, dates) {
  list.replaceChildren();
  for (const d of dates) {
    const item = el("li", "", formatDateTime(d.starts_at));
    if (d.theme) item.append(" – ", el("span", "", d.theme));
    if (d.cancelled) item.append(" ", el("span", "badge", t("schedules.cancelled")));
    list.append(item);
  }
}

function scheduleError(answer) {
  $("schedule-error").textContent = answer.body.error === "invalid_schedule"
    ? t("schedules.invalid") : staffError(answer.body.error);
}

$("schedule-preview").addEventListener("click", async () => {
  $("schedule-error").textContent = "";
  if (!$("schedule-form").reportValidity()) return;
  const room = state.rooms.find((r) => r.id === $("schedule-room").value);
  const answer = await api.call("POST", "/api/schedules/preview",
    { ...scheduleBody(), time_zone: room?.time_zone });
  if (!answer.ok) { scheduleError(answer); return; }
  renderDates($("schedule-next"), answer.body.next);
  say(t("schedules.previewed", { n: answer.body.next.length }));
});

$("schedule-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("schedule-error").textContent = "";
  const room = $("schedule-room").value;
  const answer = await api.call("POST", `/api/rooms/${encodeURIComponent(room)}/schedules`, scheduleBody());
  if (!answer.ok) { scheduleError(answer); return; }
  renderDates($("schedule-next"), answer.body.next);
  say(t("schedules.saved"));
  await loadSchedules();
});

async function loadSchedules() {
  const room = $("schedule-room").value;
  if (!room) return;
  const answer = await api.get(`/api/rooms/${encodeURIComponent(room)}/schedules`);
  state.schedules = answer.ok ? answer.body : [];
  renderSchedules();
}
$("schedule-room").addEventListener("change", loadSchedules);

function renderSchedules() {
  const list = $("schedule-list");
  list.replaceChildren();
  for (const schedule of state.schedules ?? []) {
    const item = el("li", "card");
    item.append(el("p", "", t("schedules.line", { frequency: t(`schedules.${schedule.frequency}`),
      time: schedule.start_time, zone: schedule.time_zone, minutes: schedule.duration_minutes })));
    const dates = el("ol", "dates");
    renderDates(dates, schedule.next);
    item.append(dates);
    exceptionControls(dates, schedule);
    item.append(button(t("schedules.delete"), async () => {
      const answer = await api.call("DELETE", `/api/schedules/${schedule.id}`);
      say(answer.ok || answer.status === 204 ? t("schedules.deleted") : staffError(answer.body.error));
      await loadSchedules();
    }, "secondary"));
    list.append(item);
  }
  if (!list.children.length) list.append(el("li", "hint", t("schedules.none")));
}

// Staff accounts ---------------------------------------------------------------------------

async function loadAccounts() {
  const answer = await api.get("/api/staff");
  if (answer.ok) state.accounts = answer.body;
  renderAccounts();
  relabelOneToOneSettings();
}

function renderAccounts() {
  const list = $("accounts");
  list.replaceChildren();
  for (const account of state.accounts) {
    const item = el("li", "card");
    const head = el("h3", "", account.display_name);
    item.append(head, el("p", "hint", t("admin.accountLine", {
      username: account.username, role: t(`role.${account.role}`) })));
    if (account.disabled) item.append(el("p", "badge", t("admin.disabled")));
    if (account.role === "facilitator") {
      const box = el("fieldset", "room-choice");
      box.append(el("legend", "", t("admin.rooms", { name: account.display_name })));
      for (const room of state.rooms) {
        const check = el("input");
        check.type = "checkbox";
        check.value = room.id;
        check.checked = account.rooms.includes(room.id);
        const choice = el("label");
        choice.append(check, " ", roomName(room));
        box.append(choice);
      }
      const result = el("p", "save-result");
      result.setAttribute("role", "status");
      box.append(button(t("admin.saveRooms"), async () => {
        const rooms = [...box.querySelectorAll("input:checked")].map((c) => c.value);
        const answer = await api.call("PATCH", `/api/staff/${account.id}`, { rooms });
        say(answer.ok ? t("admin.saved") : staffError(answer.body.error));
        // Said where the admin is looking too, with what was saved.
        result.className = answer.ok ? "save-result saved" : "save-result error";
        result.textContent = answer.ok ? t("admin.roomsSaved", { name: account.display_name,
          rooms: rooms.map((id) => roomName(state.rooms.find((r) => r.id === id) ?? { name: { fi: id } })).join(", ")
            || t("admin.noRooms") })
          : staffError(answer.body.error);
        if (answer.ok) Object.assign(account, answer.body);
      }, "secondary"), result);
      item.append(box);
    }
    if (account.id !== api.account.id) {
      item.append(button(t(account.disabled ? "admin.enable" : "admin.disable"), async () => {
        const answer = await api.call("PATCH", `/api/staff/${account.id}`,
          { disabled: !account.disabled });
        if (!answer.ok) { say(staffError(answer.body.error)); return; }
        Object.assign(account, answer.body);
        renderAccounts();
        say(t("admin.saved"));
      }, "secondary"));
    }
    list.append(item);
  }
}

$("new-account").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("new-account-error").textContent = "";
  const answer = await api.call("POST", "/api/staff", {
    username: $("new-username").value, display_name: $("new-display").value,
    password: $("new-password").value, role: $("new-role").value });
  if (!answer.ok) {
    $("new-account-error").textContent = staffError(answer.body.error, answer.body.reason);
    return;
  }
  $("new-account").reset();
  say(t("admin.created", { name: answer.body.display_name }));
  await loadAccounts();
});

// Filters ----------------------------------------------------------------------------------

async function loadFilters() {
  const room = $("filter-room").value;
  if (!room) return;
  const answer = await api.get(`/api/rooms/${encodeURIComponent(room)}/filters`);
  if (!answer.ok) { $("filters-error").textContent = staffError(answer.body.error); return; }
  state.filters = answer.body;
  renderFilters();
}

function renderFilters() {
  const box = $("filter-fields");
  box.replaceChildren();
  $("filters-error").textContent = "";
  if (!state.filters) return;
  for (const [key, value] of Object.entries(state.filters.effective)) {
    const id = `filter-${key}`;
    const title = label(`filters.${key}`);
    if (key === "blocklist_languages") {
      const set = el("fieldset", "room-choice");
      set.dataset.key = key;
      set.append(el("legend", "", title));
      for (const code of LANGS) {
        const check = el("input");
        check.type = "checkbox";
        check.value = code;
        check.checked = value.includes(code);
        const choice = el("label");
        choice.append(check, " ", t(`lang.${code}`));
        set.append(choice);
      }
      box.append(set);
      continue;
    }
    let control;
    if (typeof value === "boolean") {
      control = el("input");
      control.type = "checkbox";
      control.checked = value;
    } else if (Array.isArray(value)) {
      control = el("textarea");
      control.rows = 3;
      control.value = value.join("\n");
    } else if (key === "links") {
      control = el("select");
      for (const option of ["allow", "hold"]) {
        const o = el("option", "", t(`filters.links.${option}`));
        o.value = option;
        control.append(o);
      }
      control.value = value;
    } else {
      control = el("input");
      control.type = "number";
      control.min = "0";
      control.step = "any";
      control.value = String(value);
    }
    control.id = id;
    control.dataset.key = key;
    box.append(field(title, control, typeof value === "boolean" ? "field check" : "field"));
  }
}

function readFilters() {
  const settings = {};
  for (const node of $("filter-fields").querySelectorAll("[data-key]")) {
    const key = node.dataset.key;
    const before = state.filters.effective[key];
    if (node.tagName === "FIELDSET") {
      settings[key] = [...node.querySelectorAll("input:checked")].map((c) => c.value);
    } else if (typeof before === "boolean") settings[key] = node.checked;
    else if (Array.isArray(before)) {
      settings[key] = node.value.split("\n").map((s) => s.trim()).filter(Boolean);
    } else if (typeof before === "number") settings[key] = Number(node.value);
    else settings[key] = node.value;
  }
  return settings;
}

async function saveFilters(settings) {
  const room = $("filter-room").value;
  const answer = await api.call("PUT", `/api/rooms/${encodeURIComponent(room)}/filters`,
    { settings });
  if (!answer.ok) {
    const problems = answer.body.problems ?? [];
    $("filters-error").textContent = problems.length
      ? t("filters.problems", { keys: problems.map((p) => label(`filters.${p.split(":")[0]}`)).join(", ") })
      : staffError(answer.body.error);
    return;
  }
  say(t("admin.saved"));
  await loadFilters();
}
$("filters-form").addEventListener("submit", (e) => { e.preventDefault(); saveFilters(readFilters()); });
$("filters-reset").addEventListener("click", () => saveFilters(null));
$("filter-room").addEventListener("change", loadFilters);

// Crisis resources -------------------------------------------------------------------------

async function loadResources() {
  state.resources = await fetch("/api/crisis-resources").then((r) => r.json());
  renderResources();
}

function textInput(value, maxLength, required) {
  const input = el("input");
  input.value = value ?? "";
  input.maxLength = maxLength;
  input.required = required;
  return input;
}

function renderResources() {
  const list = $("resource-list");
  list.replaceChildren();
  state.resources.forEach((resource, index) => {
    const item = el("li", "card resource-card");
    const set = el("fieldset");
    set.append(el("legend", "", t("resources.entry", { n: index + 1 })));
    const phone = textInput(resource.phone, 40, true);
    phone.dataset.key = "phone";
    set.append(field(t("resources.phone"), phone));
    for (const part of ["name", "hours", "when"]) {
      for (const code of LANGS) {
        const input = textInput(resource[part]?.[code], 200, part === "name");
        input.dataset.key = `${part}.${code}`;
        set.append(field(t(`resources.${part}`, { lang: t(`lang.${code}`) }), input));
      }
    }
    set.append(button(t("resources.remove", { n: index + 1 }), () => {
      state.resources = readResources().filter((_, i) => i !== index);
      renderResources();
    }, "secondary"));
    item.dataset.id = resource.id;
    item.append(set);
    list.append(item);
  });
}

function readResources() {
  return [...$("resource-list").children].map((item) => {
    const out = { id: item.dataset.id };
    for (const input of item.querySelectorAll("input[data-key]")) {
      const [part, code] = input.dataset.key.split(".");
      const value = input.value.trim();
      if (!code) out[part] = value;
      else if (value || part === "name") (out[part] ??= {})[code] = value;
    }
    // Hours and when-to-call are optional, but then in every language or none.
    for (const part of ["hours", "when"]) {
      if (out[part] && Object.keys(out[part]).length < LANGS.length) {
        for (const code of LANGS) out[part][code] ??= "";
      }
    }
    return out;
  });
}

$("resource-add").addEventListener("click", () => {
  state.resources = [...readResources(), { id: `line-${Date.now().toString(36)}`, phone: "",
    name: { fi: "", sv: "", en: "" } }];
  renderResources();
  $("resource-list").lastElementChild.querySelector("input").focus();
});
$("resources-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("resources-error").textContent = "";
  const answer = await api.call("PUT", "/api/crisis-resources", { resources: readResources() });
  if (!answer.ok) {
    $("resources-error").textContent = t("resources.invalid");
    return;
  }
  state.resources = answer.body;
  renderResources();
  say(t("admin.saved"));
});

// Audit log --------------------------------------------------------------------------------

async function loadAudit(more = false) {
  const before = more && state.audit.length ? `?before=${state.audit.at(-1).id}` : "";
  const answer = await api.get(`/api/audit${before}`);
  if (!answer.ok) return;
  state.audit = more ? [...state.audit, ...answer.body] : answer.body;
  $("audit-more").hidden = answer.body.length < 200;
  renderAudit();
}

// What an entry did, in words: switches say which way they went (lock on, lock off).
function auditWhat(entry) {
  const detail = entry.detail ?? {};
  const onOff = { lock: "locked", premoderate: "premoderated" }[entry.action];
  if (onOff && typeof detail[onOff] === "boolean") {
    return t(`audit.${entry.action}.${detail[onOff] ? "on" : "off"}`);
  }
  if (entry.action === "slow_mode" && typeof detail.slow_mode === "number") {
    return detail.slow_mode ? t("audit.slow_mode.on", { s: detail.slow_mode }) : t("audit.slow_mode.off");
  }
  if (entry.action === "mute" && detail.shadow) return t("action.shadow");
  const key = [`audit.${entry.action}`, `action.${entry.action}`].find(has);
  return key ? t(key) : t("audit.other", { action: entry.action });
}

function auditTarget(entry) {
  if (entry.target_name) return entry.target_name;
  // A staff account that no longer has a name here, or a participant's id in the group.
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(entry.target) ? t("audit.someAccount") : t("audit.participant");
}

function renderAudit() {
  const list = $("audit");
  list.replaceChildren();
  for (const entry of state.audit) {
    const item = el("li", "audit-entry");
    // The server's instant (UTC, with Z), shown in the reader's own time zone.
    const time = el("time", "", formatStamp(entry.at));
    time.dateTime = entry.at;
    // Refused frames of a participant are audited with no account: "a participant".
    const actor = entry.actor_id === "participant" ? t("audit.participant") : entry.actor_name ?? "";
    item.append(time, " ", el("strong", "", actor), " ", el("span", "", auditWhat(entry)));
    if (entry.room) {
      const room = state.rooms.find((r) => r.id === entry.room);
      item.append(" ", el("span", "hint", t("audit.inRoom", { room: room ? roomName(room) : entry.room })));
    }
    if (entry.target) item.append(" ", el("span", "hint", t("audit.target", { target: auditTarget(entry) })));
    if (entry.reason) item.append(" ", el("q", "", entry.reason));
    list.append(item);
  }
}
$("audit-more").addEventListener("click", () => loadAudit(true));

// Sections: one at a time, chosen by the URL's fragment (#staff-section), so that a reload,
// a bookmark or Back returns to the same one.
const sections = () => [...document.querySelectorAll("#admin > section.panel")].map((s) => s.id);
function showSection(wanted, focus) {
  const all = sections();
  const chosen = all.includes(wanted) ? wanted : all[0];
  for (const id of all) $(id).hidden = id !== chosen;
  for (const link of document.querySelectorAll("#admin nav.sections a")) {
    if (link.getAttribute("href") === `#${chosen}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (focus) {
    const heading = $(chosen).querySelector("h2");
    heading.tabIndex = -1;
    heading.focus();
  }
}
window.addEventListener("hashchange", () => {
  if (api.account?.role === "admin") showSection(location.hash.slice(1), true);
});

// Start ------------------------------------------------------------------------------------

function renderRoomChoice() {
  for (const select of [$("filter-room"), $("schedule-room")]) {
    const chosen = select.value;
    select.replaceChildren(...state.rooms.map((room) => {
      const option = el("option", "", roomName(room));
      option.value = room.id;
      return option;
    }));
    if (chosen) select.value = chosen;
  }
}

function relabel() {
  applyTo(document);
  if (!api.account) return;
  showAccount(api);
  renderRoomChoice();
  renderRoomCards();
  renderRoomTexts();
  renderWeekdays();
  renderSchedules();
  renderAccounts();
  renderFilters();
  state.resources = readResources(); // keep what was typed but not yet saved
  renderResources();
  renderAudit();
  relabelRoomEditor();
  relabelStats();
  relabelOneToOneSettings();
}

async function start() {
  await startLang($("lang"), relabel);
  await signIn(api, async () => {
    showAccount(api);
    watchOpenAlerts(api);
    $("admin").hidden = false;
    if (api.account.role !== "admin") {
      $("not-admin").hidden = false;
      for (const section of document.querySelectorAll("#admin > nav, #admin > section")) {
        section.hidden = true;
      }
      return;
    }
    showSection(location.hash.slice(1), false);
    startRoomEditor(api, { say, saved: loadRooms });
    startExceptions(api, { say, reload: loadSchedules });
    await loadRooms();
    renderRoomTexts();
    renderWeekdays();
    $("schedule-date").value = new Date().toLocaleDateString("sv-SE"); // today, YYYY-MM-DD
    await Promise.all([loadAccounts(), loadFilters(), loadResources(), loadAudit(), loadSchedules(),
      startStats(api, { rooms: () => state.rooms, say }),
      startOneToOneSettings(api, { accounts: () => state.accounts, say })]);
  });
}
start();
