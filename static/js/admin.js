// Admin pages: staff accounts and their rooms, each room's filters, crisis resources, and the
// audit log. Everything the admin types or reads goes in with textContent or .value.
import { $, button, el, field } from "./dom.js";
import { applyTo, has, lang, startLang, t } from "./i18n.js";
import { signIn, showAccount, StaffApi, staffError } from "./staffapi.js";

const api = new StaffApi();
const LANGS = ["fi", "sv", "en"];
const state = { rooms: [], accounts: [], filters: null, resources: [], audit: [] };
const say = (text) => { $("status-live").textContent = text; };
const roomName = (room) => room.name[lang()] ?? room.name.fi;
const label = (key) => t(has(key) ? key : "common.unknown", { key });

function formatDateTime(iso) {
  const locale = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" }[lang()];
  return new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short" })
    .format(new Date(iso));
}

// Staff accounts ---------------------------------------------------------------------------

async function loadAccounts() {
  const answer = await api.get("/api/staff");
  if (answer.ok) state.accounts = answer.body;
  renderAccounts();
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
      box.append(button(t("admin.saveRooms"), async () => {
        const rooms = [...box.querySelectorAll("input:checked")].map((c) => c.value);
        const answer = await api.call("PATCH", `/api/staff/${account.id}`, { rooms });
        say(answer.ok ? t("admin.saved") : staffError(answer.body.error));
        if (answer.ok) Object.assign(account, answer.body);
      }, "secondary"));
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
  if (!answer.ok) { $("new-account-error").textContent = staffError(answer.body.error); return; }
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

function renderAudit() {
  const list = $("audit");
  list.replaceChildren();
  for (const entry of state.audit) {
    const item = el("li", "audit-entry");
    const time = el("time", "", formatDateTime(entry.at));
    time.dateTime = entry.at;
    const key = [`audit.${entry.action}`, `action.${entry.action}`].find(has);
    const what = key ? t(key) : entry.action;
    item.append(time, " ", el("strong", "", entry.actor_name ?? ""), " ", el("span", "", what));
    if (entry.room) item.append(" ", el("span", "hint", t("audit.inRoom", { room: entry.room })));
    if (entry.target) item.append(" ", el("span", "hint", t("audit.target", { target: entry.target })));
    if (entry.reason) item.append(" ", el("q", "", entry.reason));
    list.append(item);
  }
}
$("audit-more").addEventListener("click", () => loadAudit(true));

// Start ------------------------------------------------------------------------------------

function renderRoomChoice() {
  const select = $("filter-room");
  const chosen = select.value;
  select.replaceChildren(...state.rooms.map((room) => {
    const option = el("option", "", roomName(room));
    option.value = room.id;
    return option;
  }));
  if (chosen) select.value = chosen;
}

function relabel() {
  applyTo(document);
  if (!api.account) return;
  showAccount(api);
  renderRoomChoice();
  renderAccounts();
  renderFilters();
  state.resources = readResources(); // keep what was typed but not yet saved
  renderResources();
  renderAudit();
}

async function start() {
  await startLang($("lang"), relabel);
  await signIn(api, async () => {
    showAccount(api);
    $("admin").hidden = false;
    if (api.account.role !== "admin") {
      $("not-admin").hidden = false;
      for (const section of document.querySelectorAll("#admin > nav, #admin > section")) {
        section.hidden = true;
      }
      return;
    }
    state.rooms = await fetch("/api/rooms").then((r) => r.json());
    renderRoomChoice();
    await Promise.all([loadAccounts(), loadFilters(), loadResources(), loadAudit()]);
  });
}
start();
