// How one feels at the start and at the end of a guided session (issue 21), asked only in
// groups whose admin chose it (`room.checkin`), always optional and skippable in one tap.
//
// Unlinkable by design: the answer at the start stays on this device (sessionStorage, keyed by
// the session's id) and is sent only at the end, together with the answer then, in ONE frame
// without anything that says who answered (docs/protocol.md, "checkin"). Someone who leaves
// before the end is offered, never sent automatically, to send the start's answer alone.
// Quick exit and "forget this device" forget every answer kept here.
//
// The page's own code calls only forget(); everything else follows the protocol client's
// events (join answers, session events, leave answers), so app.js stays as it was.
import { $, button, el } from "./dom.js";
import { has, lang, t } from "./i18n.js";

const KEY = "vt.checkin.";
const LEVELS = [1, 2, 3, 4, 5];
const SVG = "http://www.w3.org/2000/svg";
// A face's mouth for each answer, from a deep frown to a wide smile (viewBox 0 0 40 40).
const MOUTHS = ["M12 30 Q20 21 28 30", "M13 29 Q20 25 27 29", "M13 27 L27 27",
  "M13 25 Q20 30 27 25", "M12 23 Q20 33 28 23"];

// sessionStorage: {before: 1-5 | null, done?: true} per session. `before: null` means the
// question was skipped at the start (so it is not asked again after a reload or a rejoin);
// `done` that the pair was sent, or declined, for that session.
const keyOf = (session) => `${KEY}${session}`;
function recall(session) {
  try {
    return JSON.parse(sessionStorage.getItem(keyOf(session)) ?? "null");
  } catch {
    return null;
  }
}
function keep(session, entry) {
  sessionStorage.setItem(keyOf(session), JSON.stringify(entry));
}

/** Forget every answer kept on this device (quick exit, "forget this device"). */
export function forgetAnswers() {
  for (let i = sessionStorage.length - 1; i >= 0; i -= 1) {
    const key = sessionStorage.key(i);
    if (key?.startsWith(KEY)) sessionStorage.removeItem(key);
  }
}

/** An inline SVG face for an answer 1-5; decorative (the word next to it says it). */
export function face(level) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 40 40");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("face", `face-${level}`);
  const shape = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    svg.append(node);
    return node;
  };
  shape("circle", { cx: "20", cy: "20", r: "18", class: "face-skin" });
  shape("circle", { cx: "14", cy: "16", r: "2.2", class: "face-ink" });
  shape("circle", { cx: "26", cy: "16", r: "2.2", class: "face-ink" });
  shape("path", { d: MOUTHS[level - 1], class: "face-line" });
  if (level === 1) { // worried brows tell the worst from the next one at a glance
    shape("path", { d: "M9 12 L16 9.5", class: "face-line" });
    shape("path", { d: "M31 12 L24 9.5", class: "face-line" });
  }
  return svg;
}

let fieldsets = 0;
/** A radio group 1-5: a legend, an optional hint, and a face and a word on each choice. */
function scale(name, legendText, words, { faces = true, hint = "" } = {}) {
  fieldsets += 1;
  const set = el("fieldset", "scale");
  const legend = el("legend", "", legendText);
  legend.id = `checkin-legend-${fieldsets}`;
  set.append(legend);
  if (hint) {
    const p = el("p", "hint", hint);
    p.id = `checkin-hint-${fieldsets}`;
    set.setAttribute("aria-describedby", p.id);
    set.append(p);
  }
  const row = el("div", faces ? "scale-row faces" : "scale-row");
  for (const level of LEVELS) {
    const input = el("input");
    input.type = "radio";
    input.name = name;
    input.value = String(level);
    const choice = el("label", "scale-choice");
    const look = el("span", "scale-look");
    if (faces) look.append(face(level));
    else {
      // The number is for the eye; a screen reader says "5 of 5" of the radio itself.
      const number = el("span", "scale-number", String(level));
      number.setAttribute("aria-hidden", "true");
      look.append(number);
    }
    look.append(el("span", "scale-word", words[level - 1]));
    choice.append(input, look);
    row.append(choice);
  }
  set.append(row);
  return set;
}

const moodWords = () => LEVELS.map((n) => t(`checkin.mood${n}`));
const agreeWords = () => LEVELS.map((n) => t(`checkin.agree${n}`));
const chosen = (form, name) => {
  const value = new FormData(form).get(name);
  return value ? Number(value) : null;
};
const errorText = (code) => (code === "checkin_given" ? t("checkin.given")
  : t(has(`error.${code}`) ? `error.${code}` : "checkin.failed"));

/**
 * Wire the check-in to the protocol client. `room()` gives the room being joined or in (the
 * participant page's current room, as from GET /api/rooms).
 * Returns { forget }.
 */
export function initCheckin({ client, room }) {
  // The group and session this page is in: {room, session}, kept from the join answer and
  // the room's session events.
  let current = null;
  let closing = null; // {room, session} of the closing screen asking the check-out
  let offered = null; // session id of the landing page's offer, after leaving early
  const sent = new Map(); // checkin request id -> where to thank: "checkout" | "offer"

  // At the start --------------------------------------------------------------------------

  function renderStart() {
    const form = $("checkin-form");
    const session = current?.session;
    const status = el("p", "checkin-status");
    status.id = "checkin-status";
    status.setAttribute("role", "status");
    const set = scale("checkin-before", t("checkin.question"), moodWords(),
      { hint: t("checkin.startHint") });
    form.setAttribute("aria-labelledby", set.querySelector("legend").id);
    const save = el("button", "", t("checkin.save"));
    save.type = "submit";
    const actions = el("div", "actions");
    actions.append(save, button(t("checkin.skip"), () => {
      if (session) keep(session.id, { before: null });
      hideStart(true);
    }, "secondary"));
    form.replaceChildren(set, status, actions);
  }

  function showStart() {
    const form = $("checkin-form");
    renderStart();
    form.hidden = false;
    form.tabIndex = -1;
    form.focus({ preventScroll: true });
  }

  function hideStart(toComposer) {
    const form = $("checkin-form");
    form.hidden = true;
    form.replaceChildren();
    if (toComposer) ($("text").disabled ? $("messages") : $("text")).focus();
  }

  $("checkin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = $("checkin-form");
    const before = chosen(form, "checkin-before");
    if (!before) { $("checkin-status").textContent = t("checkin.choose"); return; }
    if (current?.session) keep(current.session.id, { before });
    // Thanked, then out of the way: the answer waits on this device for the end.
    form.querySelector("fieldset").disabled = true;
    form.querySelector(".actions").hidden = true;
    $("checkin-status").textContent = t("checkin.kept");
    form.focus(); // the buttons went: the focus stays in the question, then goes on
    setTimeout(() => {
      if (form.hidden || !form.querySelector("fieldset")?.disabled) return;
      hideStart(form.contains(document.activeElement));
    }, 4000);
  });

  function joined(answer) {
    const here = room();
    const session = answer.session;
    if (current?.room.id === here?.id && current?.session?.id === session?.id
        && !$("checkin-form").hidden) return; // a resume: already asking
    current = here ? { room: here, session: session ?? null } : null;
    hideOffer();
    hideStart(false);
    const live = session && ["scheduled", "lobby", "live", "ending"].includes(session.state);
    if (!here?.checkin || !live) return;
    if (recall(session.id)) return; // answered or skipped already: never asked twice
    showStart();
  }

  // At the end ------------------------------------------------------------------------------

  function renderEnd() {
    const form = $("checkout-form");
    if (!closing) return;
    const entry = recall(closing.session) ?? {};
    const question = closing.room.checkin?.question;
    const parts = [el("h3", "", t("checkin.endTitle")), el("p", "hint", t("checkin.endHint")),
      scale("checkin-after", t("checkin.question"), moodWords())];
    if (question) {
      parts.push(scale("checkin-extra", question[lang()] ?? question.fi, agreeWords(),
        { faces: false }));
    }
    if (typeof entry.before === "number") parts.push(el("p", "hint", t("checkin.endPaired")));
    const status = el("p", "checkin-status");
    status.id = "checkout-status";
    status.setAttribute("role", "status");
    const send = el("button", "", t("checkin.send"));
    send.type = "submit";
    const actions = el("div", "actions");
    actions.append(send, button(t("checkin.skip"), () => {
      keep(closing.session, { before: null, done: true });
      closing = null;
      form.hidden = true;
      form.replaceChildren();
      $("closing-title").focus();
    }, "secondary"));
    parts.push(status, actions);
    form.replaceChildren(...parts);
    form.setAttribute("aria-labelledby", "checkout-title");
    form.querySelector("h3").id = "checkout-title";
  }

  function askAtTheEnd(event) {
    const here = current?.room;
    const session = event.session?.id;
    current = null;
    hideStart(false);
    if (!here?.checkin || !session) return;
    const entry = recall(session);
    // A group cancelled, or closed before it went live (`held: false`), was not held: no
    // "how do you feel after it", and the start's answer is forgotten.
    const held = event.event !== "cancel" && event.held !== false;
    if (!held || entry?.done) {
      if (!held) sessionStorage.removeItem(keyOf(session));
      return;
    }
    closing = { room: here, session };
    renderEnd();
    $("checkout-form").hidden = false;
  }

  $("checkout-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = $("checkout-form");
    const entry = recall(closing.session) ?? {};
    const frame = { type: "checkin", session: closing.session };
    if (typeof entry.before === "number") frame.before = entry.before;
    const after = chosen(form, "checkin-after");
    const extra = chosen(form, "checkin-extra");
    if (after) frame.after = after;
    if (extra) frame.extra = extra;
    if (!after && !extra && frame.before === undefined) {
      $("checkout-status").textContent = t("checkin.choose");
      return;
    }
    form.querySelector(".actions").hidden = true;
    form.tabIndex = -1;
    form.focus(); // where the thanks (or what went wrong) is said
    sent.set(client.request(frame), "checkout");
  });

  // Leaving early: the start's answer alone, only if the person chooses ------------------------

  function renderOffer() {
    const box = $("checkin-offer");
    const title = el("h2", "", t("checkin.offerTitle"));
    title.id = "checkin-offer-title";
    const status = el("p", "checkin-status");
    status.id = "offer-status";
    status.setAttribute("role", "status");
    const actions = el("div", "actions");
    actions.append(button(t("checkin.offerSend"), () => {
      const entry = recall(offered);
      if (typeof entry?.before !== "number") { hideOffer(); return; }
      actions.hidden = true;
      box.tabIndex = -1;
      box.focus();
      sent.set(client.request({ type: "checkin", session: offered, before: entry.before }),
        "offer");
    }, ""), button(t("checkin.offerNo"), () => {
      keep(offered, { before: null }); // not sent; forgotten here
      hideOffer();
    }, "secondary"));
    box.replaceChildren(title, el("p", "", t("checkin.offer")), status, actions);
  }

  function hideOffer() {
    offered = null;
    $("checkin-offer").hidden = true;
    $("checkin-offer").replaceChildren();
  }

  function left() {
    const session = current?.session;
    current = null;
    hideStart(false);
    if (!session || !["live", "ending"].includes(session.state)) return;
    const entry = recall(session.id);
    if (typeof entry?.before !== "number" || entry.done) return;
    offered = session.id;
    renderOffer();
    $("checkin-offer").hidden = false;
  }

  // The protocol client's events ----------------------------------------------------------

  client.addEventListener("answer", (e) => {
    const { request, answer } = e.detail;
    if (request.type === "join" && answer.type === "joined") joined(answer);
    if (request.type === "leave" && request.room === current?.room.id) left();
    if (request.type !== "checkin" || !sent.has(request.id)) return;
    const where = sent.get(request.id);
    sent.delete(request.id);
    const ok = answer.type === "checkin_saved" || answer.code === "checkin_given";
    if (ok) keep(request.session, { before: null, done: true });
    const status = $(where === "offer" ? "offer-status" : "checkout-status");
    if (!status) return;
    status.textContent = ok ? t(answer.code ? "checkin.given" : "checkin.thanks")
      : errorText(answer.code);
    const box = $(where === "offer" ? "checkin-offer" : "checkout-form");
    if (ok) {
      for (const set of box.querySelectorAll("fieldset")) set.disabled = true;
    } else box.querySelector(".actions").hidden = false; // try again, or skip
  });
  client.addEventListener("session", (e) => {
    if (!current || e.detail.room !== current.room.id) return;
    if (["close", "auto_close", "cancel"].includes(e.detail.event)) askAtTheEnd(e.detail);
    else current.session = e.detail.session ?? current.session;
  });

  // The page's language changes once its catalogue has loaded (i18n.js sets <html lang> then):
  // the questions follow it.
  new MutationObserver(() => relabel()).observe(document.documentElement,
    { attributes: true, attributeFilter: ["lang"] });

  /** Again in the newly chosen language, keeping what was chosen. */
  function relabel() {
    for (const [id, render] of [["checkin-form", renderStart], ["checkout-form", renderEnd]]) {
      const form = $(id);
      if (form.hidden || form.querySelector("fieldset")?.disabled) continue;
      const picked = [...form.querySelectorAll("input:checked")].map((i) => [i.name, i.value]);
      render();
      for (const [name, value] of picked) {
        const input = form.querySelector(`input[name="${name}"][value="${value}"]`);
        if (input) input.checked = true;
      }
    }
    if (!$("checkin-offer").hidden && offered !== null
        && !$("checkin-offer").querySelector(".actions")?.hidden) renderOffer();
  }

  return {
    forget() {
      forgetAnswers();
      hideOffer();
      hideStart(false);
      closing = null;
      $("checkout-form").hidden = true;
    }
  };
}
