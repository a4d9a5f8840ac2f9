// Admin: one-to-one support settings (GET/PUT /api/one-to-one/settings): the questions asked
// before a conversation (in every language, with optional choices, some meaning "in crisis
// now"), the opening hours (none: always open), and who gives one-to-one support.
import { $, button, el, field } from "./dom.js";
import { LANGS, locale, t } from "./i18n.js";
import { staffError } from "./staffapi.js";

const ZONE = "Europe/Helsinki";
let api;
let say = () => {};
let accounts = () => [];
const state = { questions: [], hours: [], supporters: [] };
let loaded = false;

const newId = (prefix) => `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;

function input(value, maxLength, required, key) {
  const node = el("input");
  node.value = value ?? "";
  node.maxLength = maxLength;
  node.required = required;
  node.dataset.key = key;
  return node;
}

function texts(box, values, labelKey, vars) {
  for (const code of LANGS) {
    box.append(field(t(labelKey, { ...vars, lang: t(`lang.${code}`) }),
      input(values?.[code], 200, true, `text.${code}`)));
  }
}

function renderChoice(list, choice, crisis, q, n) {
  const item = el("li", "choice");
  item.dataset.id = choice.id;
  const set = el("fieldset", "room-choice");
  set.append(el("legend", "", t("o2oSettings.choice", { q, n })));
  texts(set, choice.text, "o2oSettings.choiceText", {});
  const check = el("input");
  check.type = "checkbox";
  check.checked = crisis;
  check.dataset.key = "crisis";
  set.append(field(t("o2oSettings.crisis"), check, "field check"),
    button(t("o2oSettings.removeChoice", { q, n }), () => {
      item.remove();
    }, "link"));
  item.append(set);
  list.append(item);
}

function renderQuestions() {
  const list = $("o2o-questions");
  list.replaceChildren();
  state.questions.forEach((question, index) => {
    const q = index + 1;
    const item = el("li", "card");
    item.dataset.id = question.id;
    const set = el("fieldset", "o2o-question");
    set.append(el("legend", "", t("o2oSettings.question", { n: q })));
    texts(set, question.text, "o2oSettings.questionText", {});
    const choices = el("ol", "choices-list");
    (question.choices ?? []).forEach((choice, i) => renderChoice(choices, choice,
      (question.crisis_choices ?? []).includes(choice.id), q, i + 1));
    set.append(el("p", "hint", t("o2oSettings.choicesHint")), choices,
      button(t("o2oSettings.addChoice", { n: q }), () => {
        renderChoice(choices, { id: newId("c"), text: {} }, false, q, choices.children.length + 1);
        choices.lastElementChild.querySelector("input").focus();
      }, "secondary"),
      button(t("o2oSettings.removeQuestion", { n: q }), () => {
        readAll();
        state.questions.splice(index, 1);
        renderQuestions();
        $("o2o-question-add").focus();
      }, "link"));
    item.append(set);
    list.append(item);
  });
  if (!state.questions.length) list.append(el("li", "hint", t("o2oSettings.noQuestions")));
}

function renderHours() {
  const list = $("o2o-hours-list");
  list.replaceChildren();
  const names = new Intl.DateTimeFormat(locale(), { weekday: "long", timeZone: "UTC" });
  state.hours.forEach((entry, index) => {
    const n = index + 1;
    const item = el("li", "card");
    const set = el("fieldset", "o2o-hours-entry");
    set.append(el("legend", "", t("o2oSettings.hoursEntry", { n })));
    const days = el("fieldset", "room-choice weekdays");
    days.append(el("legend", "", t("schedules.weekdays")));
    for (let day = 0; day < 7; day += 1) {
      const check = el("input");
      check.type = "checkbox";
      check.value = String(day);
      check.checked = (entry.weekdays ?? []).includes(day);
      check.dataset.key = "weekday";
      const choice = el("label");
      // 2024-01-01 was a Monday: day 0 of the server's week.
      choice.append(check, " ", names.format(Date.UTC(2024, 0, 1 + day)));
      days.append(choice);
    }
    const start = el("input");
    start.type = "time";
    start.required = true;
    start.value = entry.start ?? "09:00";
    start.dataset.key = "start";
    const minutes = el("input");
    minutes.type = "number";
    minutes.min = "15";
    minutes.max = "1440";
    minutes.required = true;
    minutes.value = String(entry.minutes ?? 480);
    minutes.dataset.key = "minutes";
    const zone = input(entry.time_zone ?? ZONE, 64, true, "time_zone");
    set.append(days, field(t("o2oSettings.start"), start), field(t("o2oSettings.minutes"), minutes),
      field(t("o2oSettings.zone"), zone),
      button(t("o2oSettings.removeHours", { n }), () => {
        readAll();
        state.hours.splice(index, 1);
        renderHours();
        $("o2o-hours-add").focus();
      }, "link"));
    item.append(set);
    list.append(item);
  });
  if (!state.hours.length) list.append(el("li", "hint", t("o2oSettings.alwaysOpen")));
}

function renderSupporters() {
  const box = $("o2o-supporters");
  const chosen = new Set(state.supporters);
  box.replaceChildren(el("legend", "", t("o2oSettings.supporters")));
  for (const account of accounts().filter((a) => !a.disabled)) {
    const check = el("input");
    check.type = "checkbox";
    check.value = account.id;
    check.checked = chosen.has(account.id);
    const choice = el("label");
    choice.append(check, " ", account.display_name);
    box.append(choice);
  }
}

function readText(node) {
  return Object.fromEntries(LANGS.map((code) => [code,
    node.querySelector(`:scope > label > input[data-key="text.${code}"]`).value.trim()]));
}

/** What the form holds now, into `state`. */
function readAll() {
  if (!loaded) return;
  state.questions = [...$("o2o-questions").querySelectorAll(":scope > li[data-id]")].map((item) => {
    const set = item.querySelector("fieldset");
    const question = { id: item.dataset.id, text: readText(set) };
    const choices = [...item.querySelectorAll("li.choice")];
    if (choices.length) {
      question.choices = choices.map((c) => ({ id: c.dataset.id,
        text: readText(c.querySelector("fieldset")) }));
      question.crisis_choices = choices.filter((c) => c.querySelector("[data-key=crisis]").checked)
        .map((c) => c.dataset.id);
    }
    return question;
  });
  state.hours = [...$("o2o-hours-list").querySelectorAll(":scope > li.card")].map((item) => ({
    weekdays: [...item.querySelectorAll("[data-key=weekday]:checked")].map((c) => Number(c.value)),
    start: item.querySelector("[data-key=start]").value,
    minutes: Number(item.querySelector("[data-key=minutes]").value),
    time_zone: item.querySelector("[data-key=time_zone]").value.trim(),
  }));
  // Supporters whose account is not (yet) listed stay as they were.
  const listed = new Set([...$("o2o-supporters").querySelectorAll("input")].map((c) => c.value));
  state.supporters = [...state.supporters.filter((id) => !listed.has(id)),
    ...[...$("o2o-supporters").querySelectorAll("input:checked")].map((c) => c.value)];
}

function render() {
  if (!loaded) return;
  renderQuestions();
  renderHours();
  renderSupporters();
}

async function load() {
  const answer = await api.get("/api/one-to-one/settings");
  if (!answer.ok) { $("o2o-error").textContent = staffError(answer.body.error); return; }
  Object.assign(state, answer.body);
  loaded = true;
  render();
}

/** `opts.accounts()` gives the staff accounts, `opts.say` announces. */
export async function startOneToOneSettings(staffApi, opts) {
  api = staffApi;
  say = opts.say;
  accounts = opts.accounts;
  $("o2o-question-add").addEventListener("click", () => {
    readAll();
    state.questions.push({ id: newId("q"), text: {} });
    renderQuestions();
    $("o2o-questions").lastElementChild.querySelector("input").focus();
  });
  $("o2o-hours-add").addEventListener("click", () => {
    readAll();
    state.hours.push({ weekdays: [0, 1, 2, 3, 4], start: "09:00", minutes: 480, time_zone: ZONE });
    renderHours();
    $("o2o-hours-list").lastElementChild.querySelector("input").focus();
  });
  $("o2o-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("o2o-error").textContent = "";
    readAll();
    if (state.hours.some((h) => !h.weekdays.length)) {
      $("o2o-error").textContent = t("o2oSettings.invalid.weekdays");
      return;
    }
    const answer = await api.call("PUT", "/api/one-to-one/settings", state);
    if (!answer.ok) {
      const key = `o2oSettings.invalid.${answer.body.field}`;
      $("o2o-error").textContent = answer.body.field ? t(key) : staffError(answer.body.error);
      return;
    }
    Object.assign(state, answer.body);
    render();
    say(t("o2oSettings.saved"));
  });
  await load();
}

/** Again in the newly chosen language (or with new accounts), keeping what was typed. */
export function relabelOneToOneSettings() {
  readAll();
  render();
}
