// One-to-one support, the participant's side (docs/protocol.md, "One-to-one support"): the
// pre-chat questions, the queue with a live place and wait, the private conversation and its
// closing view. All user text goes in with textContent, never as HTML.
import { $, button, el } from "./dom.js";
import { formatDateTime, formatTime, has, keyed, lang, t } from "./i18n.js";

const PHASES = ["closed", "form", "waiting", "lost", "conv", "ended"];
// The place in the queue or the open conversation, for this tab only (one id, no text, no
// name): a phone that reloads a tab it had put away comes back to it. Quick exit forgets it.
// What is kept is said in remember().
const CONV_KEY = "vt.support.conv";
const RETRY_MS = 3000; // a resume the server could not answer is asked again after this
const errorText = (code) => t(has(`support.error.${code}`) ? `support.error.${code}`
  : has(`error.${code}`) ? `error.${code}` : "error.generic");
const textOf = (texts) => texts?.[lang()] ?? texts?.fi ?? "";

/**
 * Wire the one-to-one views to the page's client. `show` switches the page's views,
 * `renderResources` fills a list with the crisis resources. `beside` places a conversation a
 * facilitator opened from an alert beside the group chat (while the person is in a group):
 * { inRoom(), open(name), close(), unread() }. `lines()` gives the crisis lines the page's
 * help shows (the emergency number until the server's have come), for the views shown
 * before this module has had its own. Returns { load, relabel, forget, roomLeft, linesCame }.
 */
export function initSupport({ client, show, renderResources, beside, lines }) {
  const state = {
    info: null, phase: null, request: null, status: null, last: null, conv: null,
    feedback: null, // { conv, key } after a conversation that asks for feedback
    name: "", resources: [], outgoing: new Map(), echoes: [], endedResources: [],
    supporterAway: false, // told that the supporter has had no connection for a while
    fromAlert: false, // opened by a facilitator from an alert (not asked for in the queue)
    side: false, // shown beside the group chat
    why: null, // why they wait again (a conversation cut off), said with the first place
    // A reloaded tab asks for its place or its conversation again (shown waiting, or in the
    // conversation with the composer off, meanwhile).
    restoring: false,
  };

  function say(text) {
    // Cleared first so that the same words twice are read out twice.
    const live = $("support-announce");
    live.textContent = "";
    setTimeout(() => { live.textContent = text; }, 50); // still safe after a quick exit
  }

  function setPhase(phase, focus = true) {
    state.phase = phase;
    for (const p of PHASES) $(`support-${p}`).hidden = p !== phase;
    if (state.side) return; // beside the group: the page's view stays the group's
    // The crisis lines stay within reach in every state (the closed and closing views hold
    // their own list).
    $("support-help").hidden = phase === "ended" || phase === "closed";
    show("support");
    const heading = $(`support-${phase}`).querySelector("h2");
    if (focus && heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  function setError(code, extra = "") {
    $("support-error").textContent = code ? `${errorText(code)}${extra}` : "";
  }

  // The landing page's entry --------------------------------------------------------------

  async function load() {
    try {
      const answer = await fetch("/api/one-to-one", { cache: "no-cache" });
      state.info = answer.ok ? await answer.json() : null;
    } catch {
      state.info = null;
    }
    renderEntry();
    return state.info;
  }

  // The crisis lines to show: the server's as given with the support (and with each
  // crisis_resources), else the page's own (its help's: at least the emergency number), so
  // that no box of lines is ever empty, e.g. while a reloaded tab gets its conversation back.
  const linesNow = () => (state.resources.length ? state.resources : lines());

  // Open, but no supporter on duty: said honestly, since nobody could answer yet.
  const nobodyOnDuty = (info) => Boolean(info?.open) && info.supporters_available === 0;

  function openingLine(info) {
    if (!info) return t("support.unknown");
    if (nobodyOnDuty(info)) return t("support.nobodyNow");
    if (info.open) return t("support.openNow");
    return info.next_open ? t("support.opensAt", { time: formatDateTime(info.next_open) })
      : t("support.noHours");
  }

  function renderEntry() {
    $("support-entry-state").textContent = openingLine(state.info);
  }

  $("support-start").addEventListener("click", async () => {
    setError("");
    const info = await load();
    if (!info) {
      $("support-entry-state").textContent = errorText("unavailable");
      return;
    }
    state.resources = info.resources ?? [];
    renderHelp();
    if (!info.open) { renderClosed(info.next_open); setPhase("closed"); return; }
    renderForm();
    setPhase("form");
  });

  function renderNobody() {
    $("support-nobody").hidden = !nobodyOnDuty(state.info);
    renderResources($("support-nobody-resources"), linesNow());
  }

  function renderHelp() {
    renderResources($("support-resources"), linesNow());
    renderResources($("support-waiting-nobody-resources"), linesNow());
  }

  function renderClosed(nextOpen) {
    $("support-closed-when").textContent = nextOpen
      ? t("support.closedUntil", { time: formatDateTime(nextOpen) }) : t("support.noHours");
    renderResources($("support-closed-resources"), linesNow());
  }

  // The pre-chat questions ----------------------------------------------------------------

  function renderForm() {
    renderNobody();
    const box = $("support-questions");
    const before = collectAnswers();
    box.replaceChildren();
    for (const q of state.info?.questions ?? []) {
      const given = before[q.id] ?? state.last?.answers?.[q.id];
      if (q.choices) {
        const set = el("fieldset", "choices");
        set.dataset.question = q.id;
        set.append(el("legend", "", textOf(q.text)));
        for (const choice of q.choices) {
          const label = el("label");
          const input = el("input");
          input.type = "radio";
          input.name = `q-${q.id}`;
          input.value = choice.id;
          input.checked = given === choice.id;
          label.append(input, " ", el("span", "", textOf(choice.text)));
          set.append(label);
        }
        box.append(set);
      } else {
        const id = `support-q-${box.children.length}`;
        const label = el("label", "", textOf(q.text));
        label.htmlFor = id;
        const input = el("textarea");
        input.id = id;
        input.rows = 2;
        input.maxLength = 300;
        input.dataset.question = q.id;
        input.value = given ?? "";
        box.append(label, input);
      }
    }
  }

  function collectAnswers() {
    const answers = {};
    for (const input of $("support-questions").querySelectorAll("textarea[data-question]")) {
      if (input.value.trim()) answers[input.dataset.question] = input.value.trim();
    }
    for (const set of $("support-questions").querySelectorAll("fieldset[data-question]")) {
      const picked = set.querySelector("input:checked");
      if (picked) answers[set.dataset.question] = picked.value;
    }
    return answers;
  }

  function ask(request) {
    setError("");
    $("support-form-status").textContent = "";
    state.last = request;
    const frame = { type: "queue_request", answers: request.answers };
    if (request.topic) frame.topic = request.topic;
    client.request(frame);
    $("support-ask").disabled = true;
    $("support-again").disabled = true;
  }

  $("support-form-el").addEventListener("submit", (e) => {
    e.preventDefault();
    ask({ topic: $("support-topic").value.trim(), answers: collectAnswers() });
  });
  for (const id of ["support-form-back", "support-closed-back", "support-lost-back", "support-ended-back"]) {
    $(id).addEventListener("click", () => {
      state.phase = null;
      setError("");
      show("landing");
      load();
    });
  }

  // Waiting -------------------------------------------------------------------------------

  function estimateText(status) {
    if (status.estimate_minutes === null || status.estimate_minutes === undefined) {
      return t("support.estimateUnknown");
    }
    if (status.estimate_minutes === 0) return t("support.estimateSoon");
    return t("support.estimateMinutes", { n: status.estimate_minutes });
  }

  function renderStatus(status, announce) {
    const previous = state.status;
    state.status = status;
    const position = $("support-position");
    position.textContent = t("support.position", { n: status.position });
    delete position.dataset.i18n; // no longer "getting your place back" in another language
    $("support-estimate").textContent = estimateText(status);
    $("support-returned").hidden = !status.returned;
    $("support-closing").hidden = status.open !== false;
    // Every supporter on duty went offline or off duty: said at once, with the lines, never
    // a place and a wait that suggest someone is coming.
    const nobody = status.supporters_available === 0;
    $("support-waiting-nobody").hidden = !nobody;
    const wasNobody = previous?.supporters_available === 0;
    // Why they wait again (a conversation cut off) is said with the first place, which would
    // otherwise replace it in the live region before a screen reader has read it.
    const why = announce && state.why ? `${state.why} ` : "";
    if (announce) state.why = null;
    if (announce && nobody && !wasNobody) {
      say(`${why}${t("support.position", { n: status.position })} ${t("support.nobodyOnDuty")}`);
    } else if (announce && (!previous || wasNobody !== nobody
        || previous.position !== status.position
        || previous.estimate_minutes !== status.estimate_minutes)) {
      say(`${why}${t("support.position", { n: status.position })} ${estimateText(status)}`);
    }
  }

  function startWaiting(request, waitingFor = "support.queued") {
    state.request = request;
    state.conv = null;
    remember();
    state.status = null;
    state.why = null;
    // Keyed, so that a language picked (or the catalogue loaded) meanwhile says it again.
    const position = keyed($("support-position"), waitingFor);
    if (!has(waitingFor)) position.textContent = ""; // the catalogue is not here yet
    // Not while the place is being asked for: the server would not know yet what to leave.
    $("support-leave").disabled = state.restoring;
    $("support-estimate").textContent = "";
    $("support-returned").hidden = true;
    $("support-closing").hidden = true;
    $("support-waiting-nobody").hidden = true;
    renderHelp();
    setPhase("waiting");
  }

  $("support-leave").addEventListener("click", () => client.request({ type: "queue_leave" }));
  $("support-again").addEventListener("click", () => { if (state.last) ask(state.last); });

  // The conversation ----------------------------------------------------------------------

  // What this tab keeps across a reload: one id, the least that brings the view back. In a
  // conversation, its id (`conv`): conv_resume asks the server for it, which sends back the
  // supporter's name and the history (so no name and no text is kept here). While waiting, the
  // place's id (`request`): queue_resume asks for the place again. Nothing else (the pre-chat
  // answers, the topic) is kept; nothing at all once neither is open.
  function remember() {
    const kept = state.conv ? { conv: state.conv } : state.request ? { request: state.request } : null;
    if (kept) sessionStorage.setItem(CONV_KEY, JSON.stringify(kept));
    else sessionStorage.removeItem(CONV_KEY);
  }

  function startConversation(frame) {
    state.restoring = false;
    state.conv = frame.conv;
    state.name = frame.name ?? "";
    state.fromAlert = frame.alert !== undefined && frame.alert !== null;
    state.request = null; // the place it came from is not needed any more
    remember();
    state.echoes = [];
    state.supporterAway = false;
    $("support-messages").replaceChildren();
    $("support-notice").replaceChildren();
    $("support-end-confirm").hidden = true;
    setComposer(true);
    renderConvTitle();
    // A facilitator answering an alert: the conversation opens beside the group, which stays.
    const side = state.fromAlert && beside.inRoom();
    if (side && !state.side) beside.open(state.name);
    if (!side && state.side) beside.close();
    state.side = side;
    setPhase("conv", false);
    $("support-text").focus();
    opening();
    say(t(openingKey(), { name: state.name }));
  }

  // Who is there and why, as the conversation's first line: a person in distress whose
  // screen turns into an empty conversation must see that a facilitator asked to talk.
  function openingKey() {
    return state.fromAlert ? "support.startedFromAlert" : "support.started";
  }
  function opening() {
    note(openingKey(), { name: state.name });
  }

  function setComposer(on) {
    $("support-text").disabled = !on;
    $("support-send").querySelector("button[type=submit]").disabled = !on;
    $("support-end").hidden = !on;
  }

  /** After a reconnect or a reload: the conversation again, from the server's history. */
  function resumeConversation(frame) {
    // Own messages not yet confirmed, and those that failed with their "try again": kept.
    const pending = [...$("support-messages").querySelectorAll(".pending, .failed")];
    if (state.phase !== "conv" || state.conv !== frame.conv || state.restoring) {
      startConversation(frame);
    } else {
      state.name = frame.name ?? state.name;
      renderConvTitle();
    }
    state.echoes = [];
    $("support-messages").replaceChildren();
    opening();
    for (const m of frame.history ?? []) addMessage(m, m.from === "participant");
    $("support-messages").append(...pending);
  }

  function renderConvTitle() {
    const title = $("support-conv-title");
    title.textContent = t("support.convWith", { name: state.name });
    delete title.dataset.i18n; // no longer "getting your conversation back" in another language
  }

  /** A reloaded tab with an open conversation: the conversation's view at once, saying that
   * it is being got back, never the landing page as if it were gone, until the server answers
   * (the conversation with its history, or that it has ended). Nothing can be written or ended
   * meanwhile: the composer is off (help and quick exit, in the page's header, stay). */
  function restoreConversation(conv) {
    state.restoring = true;
    state.conv = conv;
    state.name = "";
    $("support-messages").replaceChildren();
    $("support-notice").replaceChildren();
    $("support-end-confirm").hidden = true;
    setComposer(false);
    // Keyed, so that a language picked (or the catalogue loaded) meanwhile says it again.
    const title = keyed($("support-conv-title"), "support.convResuming");
    if (!has("support.convResuming")) title.textContent = ""; // the catalogue is not here yet
    renderHelp(); // the crisis lines under it from the first paint, never an empty box
    setPhase("conv");
  }

  function note(key, vars) {
    const item = keyed(el("li", "note"), key, vars);
    $("support-messages").append(item);
    toEnd();
  }

  // The conversation scrolls in its own box, never the page.
  function toEnd() {
    const list = $("support-messages");
    list.scrollTop = list.scrollHeight;
  }

  function addMessage(frame, mine) {
    const item = el("li", mine ? "message mine" : "message");
    const head = el("p", "meta");
    if (mine) head.append(keyed(el("span", "name"), "support.you"));
    else {
      head.append(el("span", "name", frame.name ?? state.name), " ",
        keyed(el("span", "role"), state.fromAlert ? "role.facilitator" : "support.supporterRole"));
    }
    head.append(" ", el("time", "", formatTime(frame.ts ?? Date.now())));
    item.append(head, el("p", "text", frame.text));
    $("support-messages").append(item);
    toEnd();
    if (!mine && state.side) beside.unread();
    return item;
  }

  function sendText(text) {
    const item = addMessage({ text }, true);
    item.classList.add("pending");
    item.append(el("p", "status", t("chat.sending")));
    const id = client.request({ type: "conv_send", conv: state.conv, text });
    state.outgoing.set(id, { item, text });
    state.echoes.push(text);
  }

  $("support-send").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("support-text").value.trim();
    if (!text || !state.conv) return;
    $("support-text").value = "";
    sendText(text);
  });
  $("support-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      $("support-send").requestSubmit();
    }
  });
  $("support-end").addEventListener("click", () => {
    $("support-end-confirm").hidden = false;
    $("support-end-yes").focus();
  });
  $("support-end-no").addEventListener("click", () => {
    $("support-end-confirm").hidden = true;
    $("support-end").focus();
  });
  $("support-end-yes").addEventListener("click", () => {
    if (state.conv) client.request({ type: "conv_end", conv: state.conv });
  });

  function settleSend(request, answer) {
    const entry = state.outgoing.get(request.id);
    if (!entry) return;
    state.outgoing.delete(request.id);
    const status = entry.item.querySelector(".status");
    if (answer.type === "conv_sent") {
      entry.item.classList.remove("pending");
      status.remove();
      return;
    }
    if (answer.code === "conversation_not_found" && state.conv === request.conv) {
      ended({ resources: linesNow() }); // it ended while this page was away
      return;
    }
    // Not sent: say so, keep the text, offer to try again. Nothing is lost silently.
    state.echoes.splice(state.echoes.indexOf(entry.text), 1);
    entry.item.classList.add("failed");
    status.textContent = `${errorText(answer.code)} – ${t("chat.failed")}`;
    entry.item.append(button(t("chat.retry"), () => { entry.item.remove(); sendText(entry.text); }));
  }

  // "gone": a facilitator who opened it from an alert lost their connection and did not come
  // back; the call is open again for the group's facilitators (the help panel says where it stands).
  const ENDED_BY = { participant: "support.endedByYou", revoked: "support.endedCannotContinue",
    gone: "support.endedGone" };
  function ended(frame) {
    state.restoring = false;
    if (state.side) { endedBeside(frame); return; }
    state.conv = null;
    remember();
    // Nothing of what was asked stays on the page for the next person at this device.
    state.last = null;
    $("support-form-el").reset();
    $("support-questions").replaceChildren();
    state.endedResources = frame.resources ?? linesNow();
    renderResources($("support-ended-resources"), state.endedResources);
    if (frame.by) {
      // "revoked": their account was disabled (or their right removed): not the person's doing.
      keyed($("support-ended-by"), ENDED_BY[frame.by] ?? "support.endedBySupporter",
        { name: state.name });
    } else {
      $("support-ended-by").textContent = "";
      delete $("support-ended-by").dataset.i18n;
    }
    // Anonymous feedback, once, with the key only this person's end frame carried.
    state.feedback = frame.feedback && frame.feedback_key ? { conv: frame.conv, key: frame.feedback_key } : null;
    $("support-feedback").reset();
    $("support-feedback-result").textContent = "";
    $("support-feedback-send").disabled = false;
    $("support-feedback").hidden = !state.feedback;
    setPhase("ended");
  }

  $("support-feedback").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!state.feedback) return;
    const rating = Number(new FormData($("support-feedback")).get("support-rating"));
    if (!rating) { keyed($("support-feedback-result"), "feedback.choose"); return; }
    const frame = { type: "conv_feedback", conv: state.feedback.conv, key: state.feedback.key, rating };
    const text = $("support-feedback-text").value.trim();
    if (text) frame.text = text;
    $("support-feedback-send").disabled = true;
    client.request(frame);
  });

  // Beside the group: the ending is said in the conversation itself, with the crisis lines,
  // and the person closes it when they are ready; the group stays as it was.
  function endedBeside(frame) {
    state.conv = null;
    remember();
    if (frame.by) note(ENDED_BY[frame.by] ?? "support.endedByFacilitator", { name: state.name });
    const list = el("ul", "resources");
    renderResources(list, frame.resources ?? linesNow());
    $("support-notice").replaceChildren(keyed(el("p"), "support.endedLead"), list,
      keyed(button("", closeBeside, ""), "support.closeBeside"));
    $("support-end-confirm").hidden = true;
    setComposer(false);
    say(t("support.endedTitle"));
  }

  function closeBeside() {
    state.side = false;
    state.phase = null;
    state.fromAlert = false;
    $("support-messages").replaceChildren();
    $("support-notice").replaceChildren();
    setComposer(true);
    beside.close();
  }

  // Server events -------------------------------------------------------------------------

  client.addEventListener("answer", (e) => {
    const { request, answer } = e.detail;
    if (request.type === "queue_request") {
      $("support-ask").disabled = false;
      $("support-again").disabled = false;
      if (answer.type === "queued") { startWaiting(answer.request); return; }
      if (answer.code === "queue_closed") {
        renderClosed(answer.reason ?? null);
        setPhase("closed");
        return;
      }
      const reason = answer.code === "invalid_answers" && has(`support.answers.${answer.reason}`)
        ? ` ${t(`support.answers.${answer.reason}`)}` : "";
      setError(answer.code, reason);
    } else if (request.type === "queue_leave") {
      state.request = null;
      remember();
      if (answer.type === "queue_left" || answer.code === "not_queued") {
        renderForm();
        setPhase("form");
        $("support-form-status").textContent = t("support.left");
      } else setError(answer.code);
    } else if (request.type === "queue_resume") {
      const restored = state.restoring;
      if (!RETRIED.has(answer.code)) state.restoring = false;
      if (answer.type === "queued") {
        state.request = answer.request;
        if (state.phase !== "waiting" || restored) startWaiting(answer.request);
        say(t("support.placeKept"));
      } else if (RETRIED.has(answer.code)) {
        askAgain(request, answer); // the place is kept: "lost" would not be true
      } else if (answer.type !== "conv_started") placeLost();
      // conv_started: taken while away; its own listener opens the conversation.
    } else if (request.type === "conv_resume" && answer.type === "queued") {
      // Handed back to the queue while this page was away (its conv_interrupted went
      // nowhere): waiting again in their place, not "the conversation ended".
      if (state.conv === request.conv) waitAgain(answer.request, "support.returnedAway");
    } else if (request.type === "conv_resume" && answer.type === "error") {
      if (RETRIED.has(answer.code)) askAgain(request, answer); // still being got back
      else if (state.conv !== request.conv) {
        // Already settled meanwhile (its end, or back in the queue, came as an event).
      } else if (answer.code === "conversation_not_found") ended({ resources: linesNow() });
      else if (state.restoring) {
        // Not to be had back, for no reason this page knows: the start, as before.
        state.restoring = false;
        state.conv = null;
        remember();
        state.phase = null;
        for (const p of PHASES) $(`support-${p}`).hidden = true;
        setComposer(true);
        show("landing");
      }
    } else if (request.type === "conv_send") {
      settleSend(request, answer);
    } else if (request.type === "conv_feedback") {
      const saved = answer.type === "conv_feedback_saved" || answer.code === "feedback_given";
      if (saved) {
        keyed($("support-feedback-result"), "feedback.thanks");
        state.feedback = null;
      } else {
        $("support-feedback-result").textContent = errorText(answer.code);
        delete $("support-feedback-result").dataset.i18n;
        $("support-feedback-send").disabled = false;
      }
    } else if (request.type === "conv_end" && answer.type === "error"
        && answer.code !== "conversation_not_found") {
      setError(answer.code);
    }
  });
  client.addEventListener("queued", () => {});
  client.addEventListener("queue_status", (e) => {
    if (state.phase === "waiting" && e.detail.request === state.request) renderStatus(e.detail, true);
  });
  client.addEventListener("conv_started", (e) => {
    if (e.detail.role !== "participant") return;
    if (e.detail.resumed) resumeConversation(e.detail);
    else startConversation(e.detail);
  });
  client.addEventListener("conv_message", (e) => {
    if (e.detail.conv !== state.conv) return;
    if (e.detail.from === "participant") {
      const at = state.echoes.indexOf(e.detail.text);
      if (at >= 0) { state.echoes.splice(at, 1); return; } // already shown as sent
      addMessage(e.detail, true);
      return;
    }
    addMessage(e.detail, false);
    say(t("chat.newMessage", { name: e.detail.name ?? state.name, text: e.detail.text }));
  });
  client.addEventListener("conv_transferred", (e) => {
    if (e.detail.conv !== state.conv) return;
    state.name = e.detail.name;
    remember();
    renderConvTitle();
    note("support.transferred", { name: e.detail.name });
    say(t("support.transferred", { name: e.detail.name }));
  });
  client.addEventListener("conv_warned", (e) => {
    if (e.detail.conv !== state.conv) return;
    const parts = [keyed(el("p"), "support.warned")];
    if (e.detail.reason) parts.push(el("p", "note-text", e.detail.reason));
    $("support-notice").replaceChildren(...parts);
  });
  client.addEventListener("conv_interrupted", (e) => {
    if (e.detail.conv !== state.conv) return;
    // Said as it is: a supporter who did not come back, one who may no longer support (an
    // admin took the right away), or a fault on the server's side.
    const said = { supporter_gone: "support.supporterGone", supporter_revoked: "support.supporterRevoked" }[e.detail.reason];
    waitAgain(e.detail.request, said ?? "support.returned", said ? null : "support.interrupted");
  });
  /** The conversation went back to the queue: the person waits again, in their place, told
   * why with the first place (`key`; `spoken` when what is read out differs from the line). */
  function waitAgain(request, key, spoken = null) {
    state.restoring = false; // a reloaded tab that was getting the conversation back
    state.conv = null;
    remember();
    startWaiting(request);
    const line = keyed($("support-returned"), key, { name: state.name });
    line.hidden = false;
    state.why = spoken ? t(spoken) : line.textContent;
    say(state.why);
  }
  // The supporter has had no connection for a while (HANDLER_GONE_SECONDS): said honestly,
  // with the lines; the conversation stays, and what is written reaches them if they return.
  client.addEventListener("conv_supporter_away", (e) => {
    if (e.detail.conv !== state.conv) return;
    state.supporterAway = true;
    if (e.detail.resources) state.resources = e.detail.resources;
    const list = el("ul", "resources");
    renderResources(list, linesNow());
    $("support-notice").replaceChildren(keyed(el("p"), "support.supporterAway",
      { name: state.name }), list);
    say(t("support.supporterAway", { name: state.name }));
  });
  client.addEventListener("conv_supporter_back", (e) => {
    if (e.detail.conv !== state.conv || !state.supporterAway) return;
    state.supporterAway = false;
    $("support-notice").replaceChildren();
    note("support.supporterBack", { name: state.name });
    say(t("support.supporterBack", { name: state.name }));
  });
  client.addEventListener("conv_ended", (e) => {
    if (e.detail.conv === state.conv) ended(e.detail);
  });
  client.addEventListener("crisis_resources", (e) => {
    if (!state.phase) return;
    state.resources = e.detail.resources;
    renderHelp();
    if (state.phase === "conv") {
      const list = el("ul", "resources");
      renderResources(list, e.detail.resources);
      $("support-notice").replaceChildren(keyed(el("p"), "support.helpSent"), list);
    }
  });
  // A dropped socket leaves the queue on the server: say so plainly, and offer the same
  // answers again with one click.
  function placeLost() {
    state.request = null;
    remember();
    if (state.last) {
      setPhase("lost");
      say(t("support.lost"));
    } else { // a reloaded tab: the answers were never kept, so ask them again
      renderForm();
      setPhase("form");
      $("support-form-status").textContent = t("support.lostTitle");
    }
  }

  // A resume the server could not answer now (Redis or the database away a moment, or the
  // connection dropped again before the answer): asked again, while the tab still waits for
  // that place or conversation (a reloaded tab's view is still unset then).
  const RETRIED = new Set(["unavailable", "rate_limited"]);
  let retryTimer = 0;
  function askAgain(request, answer) {
    clearTimeout(retryTimer);
    const wait = Math.max(RETRY_MS, (answer.retry_after ?? 0) * 1000);
    retryTimer = setTimeout(() => {
      const reloaded = (state.phase === null || state.restoring) && !state.conv;
      if (request.type === "queue_resume" && (reloaded || state.phase === "waiting")) {
        client.request({ type: "queue_resume", request: request.request });
      } else if (request.type === "conv_resume"
          && (reloaded || (state.phase === "conv" && state.conv === request.conv))) {
        client.request({ type: "conv_resume", conv: request.conv });
      }
    }, wait);
  }

  // The server keeps a place for a while after a drop (queue_resume) and the conversation
  // with its history (conv_resume): ask for them back once connected again.
  function resume() {
    clearTimeout(retryTimer);
    if (state.restoring) return; // a reloaded tab's welcome asks for the place
    if (state.phase === "waiting" && state.request) {
      client.request({ type: "queue_resume", request: state.request });
    } else if (state.phase === "conv" && state.conv) {
      client.request({ type: "conv_resume", conv: state.conv });
    }
  }
  client.addEventListener("reconnected", resume);

  // A reloaded tab with an open conversation: back into it (earlier messages are not kept
  // anywhere on this device, so they are not shown).
  client.addEventListener("welcome", async () => {
    const saved = JSON.parse(sessionStorage.getItem(CONV_KEY) ?? "null");
    if (!saved || (state.phase && !state.restoring)) return;
    const info = await load();
    state.resources = info?.resources ?? state.resources;
    renderHelp();
    // The answers bring the view back (or say what was lost).
    if (saved.conv) client.request({ type: "conv_resume", conv: saved.conv });
    else if (saved.request) client.request({ type: "queue_resume", request: saved.request });
  });

  // A reloaded tab that was waiting shows the waiting view at once, saying that it is getting
  // the place back, never the landing page as if the place were gone, until the server answers
  // (the place, the conversation it became, or honestly that it was lost). One that was in a
  // conversation shows the conversation's view at once in the same way (restoreConversation).
  const saved = JSON.parse(sessionStorage.getItem(CONV_KEY) ?? "null");
  if (saved?.conv) restoreConversation(saved.conv);
  else if (saved?.request) {
    state.restoring = true;
    startWaiting(saved.request, "support.resuming");
  }

  return {
    load,
    /** The person left the group (or it closed): an ongoing conversation beside it takes the
     * page; one that has ended is put away. */
    roomLeft() {
      if (!state.side) return;
      if (!state.conv) { closeBeside(); return; }
      state.side = false;
      beside.close();
      setPhase("conv", false);
      $("support-text").focus();
    },
    /** The page's crisis lines have come (or changed language): shown where this module
     * has none of its own yet. */
    linesCame() {
      if (state.phase) renderHelp();
    },
    /** Quick exit: nothing of the conversation stays in this tab. */
    forget() {
      sessionStorage.removeItem(CONV_KEY);
    },
    relabel() {
      renderEntry();
      if (state.phase === "form") renderForm();
      if (state.phase === "conv") {
        // The person's own unsent texts keep their words; the statuses follow the language.
        for (const status of $("support-messages").querySelectorAll(".pending .status")) {
          status.textContent = t("chat.sending");
        }
      }
      if (state.phase === "closed") renderClosed(state.info?.next_open ?? null);
      if (state.phase === "conv" && !state.restoring) renderConvTitle(); // else keyed
      if (state.phase === "waiting" && state.status) renderStatus(state.status, false);
      if (state.phase === "ended") renderResources($("support-ended-resources"), state.endedResources);
      if (state.phase) renderHelp();
    },
  };
}
