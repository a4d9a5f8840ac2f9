// Admin: edit an existing group (PATCH /api/rooms/{id}). The form is filled from the room's
// whole configuration; the server's verdict on a field is shown next to that field.
// A group is not deleted (the server has no such endpoint; its sessions, feedback and figures
// stay): with "open" off the landing page shows it closed and no one can join.
import { checkinFields, checkinValid, readCheckin } from "./admin-checkin.js";
import { $, button, el } from "./dom.js";
import { LANGS, has, lang, t } from "./i18n.js";
import { staffError } from "./staffapi.js";

const TEXTS = [["names", 80, false], ["descriptions", 500, true], ["target_group", 120, false],
  ["ground_rules", 4000, true]];
const CHOICES = {
  kind: [["guided", "landing.guided"], ["unguided", "landing.unguided"]],
  access: [["drop_in", "rooms.dropIn"], ["closed", "landing.closedGroup"]],
  session_mode: [["sessions", "rooms.modeSessions"], ["always", "rooms.modeAlways"]],
  retention: [["session", "rooms.retentionSession"], ["ephemeral", "rooms.retentionEphemeral"],
    ["days", "roomEdit.retentionDays"]],
};
const NUMBERS = { capacity: [2, 1000], retention_days: [1, 3650], lobby_minutes: [0, 120],
  warn_minutes: [0, 60], grace_minutes: [0, 60], position: [0, 10000] };
const ZONES = ["Europe/Helsinki", "Europe/Stockholm", "Europe/Tallinn", "UTC"];
let api;
let say = () => {};
let saved = async () => {};
let editing = null; // the room's configuration as the server gave it

const errorId = (key) => `room-edit-error-${key}`;

/** A label, the control and the place for the server's word on it. */
function row(key, control, labelText) {
  const wrap = el("div", "field");
  control.id = `room-edit-${key}`;
  control.dataset.field = key;
  control.setAttribute("aria-describedby", errorId(key));
  const label = el("label", "", labelText);
  label.htmlFor = control.id;
  const error = el("p", "error field-error");
  error.id = errorId(key);
  wrap.append(label, control, error);
  return wrap;
}

function textGroup(part, max, multiline) {
  const set = el("fieldset", "room-choice");
  set.dataset.field = part;
  set.setAttribute("aria-describedby", errorId(part));
  set.append(el("legend", "", t(`roomEdit.${part}`)));
  for (const code of LANGS) {
    const input = el(multiline ? "textarea" : "input");
    if (multiline) input.rows = part === "ground_rules" ? 4 : 2;
    input.maxLength = max;
    input.required = part === "names";
    input.dataset.key = `${part}.${code}`;
    input.value = editing[part]?.[code] ?? "";
    input.id = `room-edit-${part}-${code}`;
    input.setAttribute("aria-describedby", errorId(part));
    const label = el("label", "", t(`rooms.${part}`, { lang: t(`lang.${code}`) }));
    label.htmlFor = input.id;
    set.append(label, input);
  }
  const error = el("p", "error field-error");
  error.id = errorId(part);
  set.append(error);
  return set;
}

function render() {
  const box = $("room-edit-fields");
  box.replaceChildren();
  if (!editing) return;
  $("room-edit-title").textContent = t("roomEdit.title", { name: editing.names[lang()] ?? editing.id });
  for (const [part, max, multiline] of TEXTS) box.append(textGroup(part, max, multiline));
  for (const [key, options] of Object.entries(CHOICES)) {
    const select = el("select");
    for (const [value, label] of options) {
      const option = el("option", "", t(label));
      option.value = value;
      select.append(option);
    }
    select.value = editing[key];
    box.append(row(key, select, t(`roomEdit.${key}`)));
  }
  for (const [key, [min, max]] of Object.entries(NUMBERS)) {
    const input = el("input");
    input.type = "number";
    input.min = String(min);
    input.max = String(max);
    input.required = key !== "retention_days";
    input.value = editing[key] ?? "";
    box.append(row(key, input, t(`roomEdit.${key}`, { min, max })));
  }
  const zone = el("input");
  zone.value = editing.time_zone;
  zone.autocomplete = "off";
  zone.setAttribute("list", "room-edit-zones");
  const zones = el("datalist");
  zones.id = "room-edit-zones";
  for (const name of ZONES) {
    const option = el("option");
    option.value = name;
    zones.append(option);
  }
  box.append(row("time_zone", zone, t("roomEdit.time_zone")), zones);
  const open = el("input");
  open.type = "checkbox";
  open.checked = editing.is_open;
  const openRow = row("is_open", open, t("roomEdit.is_open"));
  openRow.className = "field check";
  box.append(openRow);
  box.append(checkinFields(editing.checkin));
  showDays();
  $("room-edit-retention").addEventListener("change", showDays);
}

function showDays() {
  const days = $("room-edit-retention_days");
  const needed = $("room-edit-retention").value === "days";
  days.closest(".field").hidden = !needed;
  days.required = needed;
  if (needed && !days.value) days.value = "30";
}

function read() {
  const body = {};
  for (const input of $("room-edit-fields").querySelectorAll("[data-key]")) {
    const [part, code] = input.dataset.key.split(".");
    (body[part] ??= {})[code] = input.value.trim();
    if (!body[part][code] && part !== "names") delete body[part][code];
  }
  for (const key of Object.keys(CHOICES)) body[key] = $(`room-edit-${key}`).value;
  for (const key of Object.keys(NUMBERS)) body[key] = Number($(`room-edit-${key}`).value);
  if (body.retention !== "days") body.retention_days = null;
  body.time_zone = $("room-edit-time_zone").value.trim();
  body.is_open = $("room-edit-is_open").checked;
  body.checkin = readCheckin();
  return body;
}

function clearErrors() {
  $("room-edit-error").textContent = "";
  for (const node of $("room-edit-fields").querySelectorAll(".field-error")) node.textContent = "";
  for (const node of $("room-edit-fields").querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
  }
}

/** The server's verdict next to the field it names (and focus there); else above the buttons. */
function showError(answer) {
  const { error, field, min, max } = answer.body;
  const target = field && $(errorId(field));
  if (!target) { $("room-edit-error").textContent = staffError(error); return; }
  target.textContent = min !== undefined && max !== undefined ? t("roomEdit.range", { min, max })
    : t(has(`roomEdit.invalid.${field}`) ? `roomEdit.invalid.${field}` : "roomEdit.invalid");
  const controls = [...$("room-edit-fields").querySelectorAll(
    `#room-edit-${field}, [data-key^="${field}."]`)];
  for (const control of controls) control.setAttribute("aria-invalid", "true");
  $("room-edit-error").textContent = t("roomEdit.checkBelow");
  controls[0]?.focus();
}

async function open(roomId, opener) {
  const answer = await api.get(`/api/rooms/${encodeURIComponent(roomId)}`);
  if (!answer.ok) { say(staffError(answer.body.error)); return; }
  editing = answer.body;
  editing.opener = opener;
  clearErrors();
  render();
  $("room-edit").hidden = false;
  $("room-edit-title").focus();
}

function close() {
  const opener = editing?.opener;
  editing = null;
  $("room-edit").hidden = true;
  $("room-edit-fields").replaceChildren();
  if (opener?.isConnected) opener.focus();
}

/** The "edit" button of a room's card. */
export function editButton(room) {
  const name = room.name[lang()] ?? room.name.fi;
  const b = button(t("roomEdit.edit"), () => open(room.id, b), "secondary");
  b.setAttribute("aria-label", t("roomEdit.editNamed", { name }));
  b.dataset.room = room.id;
  return b;
}

/** Wire the form; `options.say` announces, `options.saved()` reloads the rooms. */
export function startRoomEditor(staffApi, options) {
  api = staffApi;
  say = options.say;
  saved = options.saved;
  $("room-edit-close").addEventListener("click", close);
  $("room-edit").addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors();
    if (!checkinValid()) { $("room-edit-error").textContent = t("roomEdit.checkBelow"); return; }
    const id = editing.id;
    const answer = await api.call("PATCH", `/api/rooms/${encodeURIComponent(id)}`, read());
    if (!answer.ok) { showError(answer); return; }
    await saved();
    const opener = document.querySelector(`#room-cards button[data-room="${CSS.escape(id)}"]`);
    if (editing) editing.opener = opener;
    close();
    say(t("roomEdit.saved", { name: answer.body.names[lang()] ?? id }));
  });
}

/** Again in the newly chosen language, keeping what was typed. */
export function relabelRoomEditor() {
  if (!editing) return;
  Object.assign(editing, read());
  render();
}
