// Admin, in a group's editor: whether the group asks how people feel at the start and the end
// of its meetings (issue 21), and the admin's own closed question, in all three languages or
// none. Saved with the rest of the group: PATCH /api/rooms/{id} {"checkin": {...}}.
import { $, el } from "./dom.js";
import { LANGS, t } from "./i18n.js";

const QUESTION_ERROR = "room-edit-error-checkin.question"; // where the server's word goes too
const inputs = () => [...$("room-edit-fields").querySelectorAll("[data-checkin-lang]")];

/** The fieldset for the group's configuration `checkin` ({enabled, question} or null). */
export function checkinFields(checkin) {
  const set = el("fieldset", "room-choice checkin-settings");
  set.dataset.field = "checkin";
  set.append(el("legend", "", t("checkin.adminLegend")));
  const ask = el("input");
  ask.type = "checkbox";
  ask.id = "room-edit-checkin";
  ask.checked = Boolean(checkin?.enabled);
  ask.setAttribute("aria-describedby", "room-edit-checkin-hint");
  const askLabel = el("label", "", t("checkin.adminAsk"));
  askLabel.htmlFor = ask.id;
  const row = el("div", "field check");
  row.append(askLabel, ask);
  const hint = el("p", "hint", t("checkin.adminHint"));
  hint.id = "room-edit-checkin-hint";
  set.append(row, hint);
  const questionHint = el("p", "hint", t("checkin.adminQuestionHint"));
  questionHint.id = "room-edit-checkin-question-hint";
  const error = el("p", "error field-error");
  error.id = QUESTION_ERROR;
  for (const code of LANGS) {
    const input = el("input");
    input.id = `room-edit-checkin-question-${code}`;
    input.maxLength = 200;
    input.dataset.checkinLang = code;
    input.value = checkin?.question?.[code] ?? "";
    input.setAttribute("aria-describedby", `${questionHint.id} ${QUESTION_ERROR}`);
    const label = el("label", "", t("checkin.adminQuestion", { lang: t(`lang.${code}`) }));
    label.htmlFor = input.id;
    set.append(label, input);
  }
  set.append(questionHint, error);
  return set;
}

/** The `checkin` value to save, from the form. */
export function readCheckin() {
  const question = Object.fromEntries(inputs().map((i) => [i.dataset.checkinLang, i.value.trim()]));
  const given = Object.values(question).some(Boolean);
  return { enabled: $("room-edit-checkin").checked, question: given ? question : null };
}

/** Whether the own question is in all three languages or none; if not, says so next to the
 * fields, marks the empty ones and puts the focus on the first of them. */
export function checkinValid() {
  const empty = inputs().filter((i) => !i.value.trim());
  if (!empty.length || empty.length === LANGS.length) return true;
  $(QUESTION_ERROR).textContent = t("checkin.adminAllThree");
  for (const input of empty) input.setAttribute("aria-invalid", "true");
  empty[0].focus();
  return false;
}
