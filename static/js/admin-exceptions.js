// Admin: exceptions to a schedule, on its list of next dates: cancel one date (after a
// confirmation), or move it to a new start, typed in the group's own time zone
// (POST /api/schedules/{id}/exceptions). The list then shows the change in local time.
import { button, el } from "./dom.js";
import { formatDateTime, t } from "./i18n.js";
import { staffError } from "./staffapi.js";

let api;
let say = () => {};
let options = { reload: async () => {} };

/** "YYYY-MM-DDTHH:MM" of an instant on the wall clock of `zone` (for a datetime-local). */
function wallClock(iso, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone: zone,
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23" }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

async function send(schedule, body, error, done) {
  error.textContent = "";
  const answer = await api.call("POST", `/api/schedules/${schedule.id}/exceptions`, body);
  if (!answer.ok) {
    error.textContent = answer.body.error === "invalid_exception" ? t("exceptions.invalid")
      : staffError(answer.body.error);
    return;
  }
  await options.reload(answer.body);
  say(done);
}

function actions(schedule, date, error) {
  const when = formatDateTime(date.starts_at);
  const box = el("div", "date-actions");
  const confirm = el("div", "actions");
  confirm.hidden = true;
  const move = el("form", "move-form");
  move.hidden = true;
  // Each date's button opens its own part (the confirmation or the new start) and shuts the other.
  const opener = (kind, show, hide, focus) => {
    const b = button(t(`exceptions.${kind}`), () => {
      show.hidden = false;
      hide.hidden = true;
      show.querySelector(focus).focus();
    }, "link");
    b.setAttribute("aria-label", t(`exceptions.${kind}Named`, { when }));
    return b;
  };
  const cancel = opener("cancel", confirm, move, "button");
  const moveOpen = opener("move", move, confirm, "input");

  confirm.append(el("p", "", t("exceptions.cancelConfirm", { when })),
    button(t("exceptions.cancelYes"), () => send(schedule, { date: date.date, kind: "cancel" },
      error, t("exceptions.cancelled", { when })), "secondary"),
    button(t("exceptions.keep"), () => { confirm.hidden = true; cancel.focus(); }, "link"));

  const input = el("input");
  input.type = "datetime-local";
  input.required = true;
  input.value = wallClock(date.starts_at, schedule.time_zone);
  input.id = `move-${schedule.id}-${date.date}`;
  const label = el("label", "", t("exceptions.newStart", { zone: schedule.time_zone }));
  label.htmlFor = input.id;
  const save = el("button", "secondary", t("exceptions.moveSave"));
  save.type = "submit";
  move.append(label, input, save,
    button(t("exceptions.moveClose"), () => { move.hidden = true; moveOpen.focus(); }, "link"));
  move.addEventListener("submit", (e) => {
    e.preventDefault();
    send(schedule, { date: date.date, kind: "move", new_start: input.value }, error,
      t("exceptions.moved", { when }));
  });
  box.append(cancel, moveOpen, confirm, move);
  return box;
}

/** Add cancel/move to each upcoming date in `list` (rendered from `schedule.next`), with the
 * server's answer shown in the card. */
export function exceptionControls(list, schedule) {
  const error = el("p", "error");
  error.setAttribute("role", "alert");
  [...list.children].forEach((item, i) => {
    const date = schedule.next[i];
    const moved = schedule.exceptions?.find((x) => x.date === date?.date && x.kind === "move");
    if (moved) item.append(" ", el("span", "badge", t("exceptions.movedBadge")));
    if (date && !date.cancelled) item.append(actions(schedule, date, error));
  });
  list.after(error);
}

/** `opts.say` announces; `opts.reload(schedule)` shows the schedules again. */
export function startExceptions(staffApi, opts) {
  api = staffApi;
  say = opts.say;
  options = opts;
}
