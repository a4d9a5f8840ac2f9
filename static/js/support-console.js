// One-to-one support, the supporter's side (docs/protocol.md, "One-to-one support"):
// availability, the live waiting list, and several private conversations at once with warn,
// end, ban and handover. Shown only to staff who may give one-to-one support (account.one_to_one
// from /api/auth/me). A private conversation a facilitator opens from an alert (conv_open)
// is shown here too, for any staff member: then only the conversations part of the panel.
// All user text goes in with textContent, never as HTML.
import { $, button, el } from "./dom.js";
import { formatDuration, formatTime, has, keyed, lang, t } from "./i18n.js";

const DAY = 86400;
const BAN_DURATIONS = [DAY, 7 * DAY, 30 * DAY, 0];
// This tab's availability, so that a reload says it again (and gets the open conversations
// back: the server sends them after support_available).
const AVAILABILITY_KEY = "vt.staff.support";
const errorText = (code) => t(has(`supporter.error.${code}`) ? `supporter.error.${code}`
  : has(`error.${code}`) ? `error.${code}` : "error.generic");
const textOf = (texts) => texts?.[lang()] ?? texts?.fi ?? "";

export function initSupportConsole({ client, api, roomName }) {
  const state = {
    on: false, questions: [], capacity: 0, auto: false, wanted: null,
    queue: { waiting: [], supporters: 0, capacity: 0, busy: 0 }, seenCrisis: new Set(),
    convs: new Map(), // conv id -> { frame, node, ended, alert, number }
    current: null, alerts: [], count: 0,
  };
  // Staff who do not give one-to-one support still have the conversations they opened from
  // alerts: the panel shows only those.
  const active = () => state.on || state.convs.size > 0;
  function showPanel() {
    $("support-panel").hidden = !active();
    $("support-panel").classList.toggle("conversations-only", !state.on);
    $("supporter-availability").hidden = !state.on;
    document.querySelector("#support-panel .support-queue").hidden = !state.on;
  }

  const say = (text) => { $("status-live").textContent = text; };
  function urgent(text) {
    // Cleared first so that the same words twice are announced twice.
    $("urgent-live").textContent = "";
    setTimeout(() => { $("urgent-live").textContent = text; }, 50);
  }
  let counter = 0;
  const uid = (prefix) => `${prefix}-${++counter}`;
  // A conversation's fixed texts carry their keys (i18n.js `keyed`), so that the page's
  // relabelling (applyTo) translates them in place without rebuilding it (a draft is kept).
  const keyedButton = (key, onClick, className) => keyed(button("", onClick, className), key);
  /** A new control (textarea, input, select) with its label: [label, control]. */
  function labelled(tag, key, maxLength = 0) {
    const control = el(tag);
    control.id = uid(tag);
    if (maxLength) control.maxLength = maxLength;
    const label = keyed(el("label"), key);
    label.htmlFor = control.id;
    return [label, control];
  }

  // Answers: each question's text and, for choices, the chosen choice's text.
  function answerList(answers) {
    const list = el("dl", "answers");
    for (const [id, value] of Object.entries(answers ?? {})) {
      const q = state.questions.find((x) => x.id === id);
      const choice = q?.choices?.find((c) => c.id === value);
      list.append(el("dt", "", q ? textOf(q.text) : id), el("dd", "", choice ? textOf(choice.text) : value));
    }
    return list;
  }

  const waitedText = (arrived) =>
    t("supporter.waited", { n: Math.max(0, Math.floor((Date.now() - arrived) / 60000)) });
  const langName = (code) => t(has(`supporter.lang.${code}`) ? `supporter.lang.${code}` : "supporter.lang.other");

  // Availability ---------------------------------------------------------------------------

  function renderAvailability() {
    $("supporter-status").textContent = state.capacity > 0
      ? t(state.auto ? "supporter.availableAuto" : "supporter.available", { n: state.capacity })
      : t("supporter.unavailable");
    $("support-panel").classList.toggle("available", state.capacity > 0);
    $("supporter-take-next").disabled = state.capacity <= 0 || !state.queue.waiting.length;
  }

  // support_available request id -> the conversations this console had open when it asked.
  const openWhenAsked = new Map();
  function sendAvailability(capacity, auto) {
    state.wanted = { capacity, auto };
    const id = client.request({ type: "support_available", capacity, auto });
    openWhenAsked.set(id, [...state.convs.values()].filter((c) => !c.ended).map((c) => c.frame.conv));
  }

  // The server's status lists the conversations still this supporter's, and why the others
  // of the last day ended: one this console had open that is not there ended while it was
  // away. Say so now, and why, not when the supporter next writes into it.
  function endGoneConversations(askedWith, stillMine, why) {
    if (!Array.isArray(stillMine)) return;
    for (const id of askedWith ?? []) {
      const conv = state.convs.get(id);
      if (!conv || conv.ended || stillMine.includes(id)) continue;
      endedAway(conv, why?.[id]);
    }
  }

  // Ended while this console had no socket (the server says why, when it knows): the person
  // ended it, the right was taken away, or the connection was cut and it went back to the queue.
  function endedAway(conv, by) {
    if (by && by !== "gone" && by !== "transfer") { ended(conv, by); return; }
    // From an alert it went back to the group's facilitators, not to the queue.
    const fromAlert = conv.frame.alert !== undefined && conv.frame.alert !== null;
    conv.node.querySelector(".conv-messages").append(el("li", "note",
      t(fromAlert ? "supporter.goneAlert" : "supporter.gone")));
    ended(conv, "gone");
  }

  $("supporter-availability").addEventListener("submit", (e) => {
    e.preventDefault();
    const capacity = Math.max(0, Math.min(10, Math.round(Number($("supporter-capacity").value) || 0)));
    $("supporter-capacity").value = String(capacity);
    sendAvailability(capacity, $("supporter-auto").checked);
  });

  // The waiting list -----------------------------------------------------------------------

  function renderQueue() {
    const { waiting } = state.queue;
    $("supporter-queue-title").textContent = t("supporter.queueTitle", { n: waiting.length });
    $("supporter-load").textContent = t("supporter.load", { supporters: state.queue.supporters,
      capacity: state.queue.capacity, busy: state.queue.busy });
    $("supporter-queue-empty").hidden = waiting.length > 0;
    const list = $("supporter-queue");
    // Keep focus on the same person's button when the list is redrawn.
    const focused = document.activeElement?.closest?.("#supporter-queue li")?.dataset.request;
    list.replaceChildren();
    for (const [index, person] of waiting.entries()) {
      const item = el("li", person.crisis ? "waiting-item crisis" : "waiting-item");
      item.dataset.request = person.request;
      const head = el("p", "queue-head");
      head.append(el("span", "place", `${index + 1}.`), " ");
      if (person.crisis) head.append(el("strong", "crisis-flag", t("supporter.crisis")), " ");
      if (person.returned) head.append(el("span", "badge", t("supporter.returned")), " ");
      head.append(el("span", "topic", person.topic ?? t("supporter.noTopic")));
      item.append(head);
      const meta = el("p", "meta");
      const waited = el("span", "waited", waitedText(person.arrived));
      waited.dataset.arrived = String(person.arrived);
      meta.append(waited, " · ", el("span", "", langName(person.lang)));
      item.append(meta);
      if (Object.keys(person.answers ?? {}).length) item.append(answerList(person.answers));
      const take = button(t("supporter.takeThis"), () => {
        client.request({ type: "support_take", request: person.request });
      }, "secondary");
      take.setAttribute("aria-label", t("supporter.takeThisLabel", { n: index + 1,
        topic: person.topic ?? t("supporter.noTopic") }));
      take.disabled = state.capacity <= 0;
      item.append(take);
      list.append(item);
    }
    if (focused) list.querySelector(`li[data-request="${CSS.escape(focused)}"] button`)?.focus();
    renderAvailability();
  }

  setInterval(() => {
    for (const span of document.querySelectorAll("#supporter-queue .waited")) {
      span.textContent = waitedText(Number(span.dataset.arrived));
    }
  }, 30000);

  $("supporter-take-next").addEventListener("click", () => client.request({ type: "support_take" }));

  // Conversations --------------------------------------------------------------------------

  function renderTabs() {
    const open = [...state.convs.values()];
    $("supporter-convs-title").textContent = t("supporter.convsTitle",
      { n: open.filter((c) => !c.ended).length });
    $("supporter-no-convs").hidden = open.length > 0;
    const tabs = $("supporter-tabs");
    tabs.replaceChildren();
    for (const conv of open) {
      const item = el("li");
      const label = [conv.frame.alert ? t("supporter.alertConvTab", { name: conv.frame.name ?? "" })
        : t("supporter.convTab", { n: conv.number })];
      if (conv.alert) label.push(t("supporter.alertMark"));
      else if (conv.frame.crisis) label.push(t("supporter.crisis"));
      if (conv.unread) label.push(t("supporter.unread", { n: conv.unread }));
      if (conv.ended) label.push(t("supporter.ended"));
      const b = button(label.join(" · "), () => select(conv.frame.conv), "room-button");
      if (conv.alert) b.classList.add("alerting");
      if (conv.frame.conv === state.current) b.setAttribute("aria-current", "true");
      item.append(b);
      tabs.append(item);
    }
    for (const conv of open) conv.node.hidden = conv.frame.conv !== state.current;
  }

  function select(id, focus = true) {
    const conv = state.convs.get(id);
    if (!conv) return;
    state.current = id;
    conv.unread = 0;
    renderTabs();
    if (focus) conv.node.querySelector(".conv-text:not([disabled])")?.focus();
  }

  function panel(className) {
    const box = el("div", `conv-panel ${className}`);
    box.hidden = true;
    return box;
  }

  function buildConversation(frame, number) {
    const node = el("article", "conversation");
    const titleId = uid("conv-title");
    node.setAttribute("aria-labelledby", titleId);
    const fromAlert = frame.alert !== undefined && frame.alert !== null;
    const title = el("h4", "", fromAlert
      ? t("supporter.alertConvTitle", { name: frame.name ?? "", room: roomName(frame.room) })
      : t("supporter.convTitle", { n: number }));
    title.id = titleId;
    node.append(title);
    const alertBox = el("div", "crisis-alert");
    alertBox.hidden = true;
    node.append(alertBox);
    const facts = el("p", "queue-head");
    if (frame.crisis) facts.append(el("strong", "crisis-flag", t("supporter.crisis")), " ");
    if (frame.returned) facts.append(el("span", "badge", t("supporter.returned")), " ");
    if (fromAlert) facts.append(el("span", "", t("supporter.fromAlert")));
    else {
      facts.append(el("span", "topic", frame.topic ?? t("supporter.noTopic")), " · ",
        el("span", "", langName(frame.lang)), " · ",
        el("span", "", t("supporter.waitedFor", { n: Math.round((frame.waited_s ?? 0) / 60) })));
    }
    node.append(facts);
    // Whether the person is there (conv_person_away / conv_person_back), said politely.
    const presence = el("p", "person-presence");
    presence.setAttribute("aria-live", "polite");
    node.append(presence);
    if (frame.handover !== undefined) {
      const handover = el("p", "handover");
      handover.append(keyed(el("strong"), "supporter.handoverNote"), " ",
        el("span", "note-text", frame.handover || t("supporter.noNote")));
      node.append(handover);
    }
    if (Object.keys(frame.answers ?? {}).length) node.append(answerList(frame.answers));
    const messages = el("ol", "messages conv-messages");
    messages.setAttribute("aria-labelledby", titleId);
    node.append(messages);

    // Send: Enter sends, Shift+Enter makes a new line.
    const form = el("form", "send-form");
    const [label, text] = labelled("textarea", "supporter.message", 2000);
    label.className = "sr-only";
    text.className = "conv-text";
    text.rows = 2;
    text.placeholder = t("chat.placeholder");
    text.dataset.i18nPlaceholder = "chat.placeholder";
    const send = keyed(el("button"), "chat.send");
    send.type = "submit";
    form.append(label, text, send);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = text.value.trim();
      if (!value) return;
      text.value = "";
      client.request({ type: "conv_send", conv: frame.conv, text: value });
    });
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    node.append(form);

    const tools = el("div", "actions conv-tools");
    const warnPanel = panel("warn-panel");
    const transferPanel = panel("transfer-panel");
    const endPanel = panel("end-panel");
    const banPanel = panel("ban-panel");
    const panels = [warnPanel, transferPanel, endPanel, banPanel];
    const open = (which, focus) => {
      for (const p of panels) p.hidden = p !== which;
      focus.focus();
    };
    const close = () => { for (const p of panels) p.hidden = true; };

    // Warn: an optional reason the person sees.
    const [warnLabel, warnText] = labelled("input", "supporter.warnReason", 500);
    warnPanel.append(warnLabel, warnText, el("div", "actions"));
    warnPanel.lastChild.append(
      keyedButton("supporter.warnSend", () => {
        const f = { type: "conv_warn", conv: frame.conv };
        if (warnText.value.trim()) f.reason = warnText.value.trim();
        client.request(f);
        warnText.value = "";
        close();
      }, ""),
      keyedButton("common.cancel", close, "secondary"));

    // Transfer: to an available supporter, with a note only they see.
    const [toLabel, to] = labelled("select", "supporter.transferTo");
    const [noteLabel, note] = labelled("textarea", "supporter.transferNote", 1000);
    note.rows = 2;
    const transferStatus = el("p", "hint");
    const doTransfer = keyedButton("supporter.transferSend", () => {
      if (!to.value) return;
      const f = { type: "conv_transfer", conv: frame.conv, to: to.value };
      if (note.value.trim()) f.note = note.value.trim();
      client.request(f);
    }, "");
    transferPanel.append(toLabel, to, noteLabel, note, transferStatus, el("div", "actions"));
    transferPanel.lastChild.append(doTransfer, keyedButton("common.cancel", close, "secondary"));

    // End and ban: both ask first.
    endPanel.append(keyed(el("p"), "supporter.endConfirm"), el("div", "actions"));
    endPanel.lastChild.append(
      keyedButton("supporter.endYes", () => client.request({ type: "conv_end", conv: frame.conv }), ""),
      keyedButton("common.cancel", close, "secondary"));
    const [banLabel, banTime] = labelled("select", "supporter.banFor");
    for (const seconds of BAN_DURATIONS) {
      const option = el("option", "", formatDuration(seconds));
      option.value = String(seconds);
      banTime.append(option);
    }
    const [banReasonLabel, banReason] = labelled("input", "supporter.banReason", 500);
    banPanel.append(keyed(el("p"), "supporter.banConfirm"), banLabel, banTime, banReasonLabel,
      banReason, el("div", "actions"));
    banPanel.lastChild.append(
      keyedButton("supporter.banYes", () => {
        const f = { type: "conv_ban", conv: frame.conv };
        if (Number(banTime.value)) f.seconds = Number(banTime.value);
        if (banReason.value.trim()) f.reason = banReason.value.trim();
        client.request(f);
      }, "danger"),
      keyedButton("common.cancel", close, "secondary"));

    tools.append(
      keyedButton("supporter.warn", () => open(warnPanel, warnText), "secondary"),
      keyedButton("supporter.transfer", async () => {
        open(transferPanel, to);
        await fillSupporters(to, transferStatus, doTransfer);
      }, "secondary"),
      keyedButton("supporter.end", () => open(endPanel, endPanel.querySelector("button")), "secondary"),
      keyedButton("supporter.ban", () => open(banPanel, banTime), "secondary"));
    node.append(tools, ...panels);
    const closeTab = keyedButton("supporter.closeTab", () => {
      state.convs.delete(frame.conv);
      node.remove();
      if (state.current === frame.conv) state.current = state.convs.keys().next().value ?? null;
      renderTabs();
      showPanel();
      if (active()) $("supporter-convs-title").focus();
      else $("alerts-title").focus();
    }, "secondary");
    closeTab.hidden = true;
    closeTab.classList.add("close-tab");
    node.append(closeTab);
    return node;
  }


  async function fillSupporters(select, status, go) {
    select.replaceChildren();
    status.textContent = "";
    const answer = await api.get("/api/one-to-one/supporters");
    const others = answer.ok ? answer.body.filter((s) => s.id !== api.account.id) : [];
    for (const s of others) {
      const option = el("option", "", t("supporter.supporterOption", { name: s.name,
        load: s.load, capacity: s.capacity }));
      option.value = s.id;
      option.disabled = s.load >= s.capacity;
      select.append(option);
    }
    const free = others.filter((s) => s.load < s.capacity);
    if (free.length) select.value = free[0].id;
    go.disabled = !free.length;
    if (!answer.ok) status.textContent = errorText(answer.body.error);
    else if (!free.length) status.textContent = t("supporter.noneFree");
  }

  function addMessage(conv, frame) {
    const mine = frame.from === "supporter";
    const item = el("li", mine ? "message mine" : "message");
    const head = el("p", "meta");
    // From an alert the person is known by their pseudonym in the group; from the queue, not.
    const them = conv.frame.alert !== undefined && conv.frame.alert !== null && conv.frame.name
      ? conv.frame.name : t("supporter.participant");
    head.append(el("span", "name", mine ? frame.name ?? "" : them), " ",
      el("time", "", formatTime(frame.ts)));
    item.append(head, el("p", "text", frame.text));
    const list = conv.node.querySelector(".conv-messages");
    list.append(item);
    list.scrollTop = list.scrollHeight; // in its own box: the page and the alerts stay put
  }

  /** The person's page is gone (PERSON_AWAY_SECONDS with none, on any process): said in the
   * conversation, with its name or number, until a page of theirs has it again (`back`). What
   * the supporter writes meanwhile waits for them (they get it with the history). */
  function personThere(conv, there) {
    if (!there === Boolean(conv.away)) return;
    conv.away = !there;
    const fromAlert = conv.frame.alert !== undefined && conv.frame.alert !== null;
    const key = fromAlert ? (there ? "supporter.personBack" : "supporter.personAway")
      : (there ? "supporter.participantBack" : "supporter.participantAway");
    const line = keyed(conv.node.querySelector(".person-presence"), key,
      fromAlert ? { name: conv.frame.name ?? "" } : { n: conv.number });
    if (conv.node.hidden) say(line.textContent); // another tab's: its own region is not read
  }

  function started(frame) {
    const known = state.convs.get(frame.conv);
    if (known) { // resumed after a reconnect: the server's history is the whole story
      const list = known.node.querySelector(".conv-messages");
      list.replaceChildren();
      for (const m of frame.history ?? []) addMessage(known, m);
      personThere(known, !frame.person_away);
      return;
    }
    const number = ++state.count;
    const conv = { frame, node: null, ended: false, alert: false, number, unread: 0 };
    conv.node = buildConversation(frame, number);
    state.convs.set(frame.conv, conv);
    showPanel();
    $("supporter-conv").append(conv.node);
    for (const m of frame.history ?? []) addMessage(conv, m);
    if (frame.person_away) personThere(conv, false);
    const first = !state.current || state.convs.get(state.current)?.ended;
    if (first) state.current = frame.conv;
    renderTabs();
    if (first) select(frame.conv);
    if (frame.resumed) say(t("supporter.resumed", { n: number }));
    else if (frame.alert !== undefined && frame.alert !== null) {
      say(t("supporter.alertConvStarted", { name: frame.name ?? "" }));
    } else {
      urgent(t(frame.handover !== undefined ? "supporter.handedToYou"
        : "supporter.startedAnnounce", { n: number }));
    }
  }

  function ended(conv, by) {
    conv.ended = true;
    const node = conv.node;
    for (const control of node.querySelectorAll("textarea, input, select, .conv-tools button, .conv-panel button")) {
      control.disabled = true;
    }
    for (const p of node.querySelectorAll(".conv-panel")) p.hidden = true;
    const presence = node.querySelector(".person-presence");
    presence.replaceChildren();
    delete presence.dataset.i18n;
    if (by !== "transfer" && by !== "gone") {
      const said = { participant: "supporter.endedByParticipant", revoked: "supporter.endedRevoked" }[by];
      node.querySelector(".conv-messages").append(el("li", "note", t(said ?? "supporter.endedByYou")));
    }
    node.querySelector(".close-tab").hidden = false;
    renderTabs();
    say(t("supporter.endedAnnounce", { n: conv.number }));
  }

  function renderAlerts() {
    const list = $("supporter-alerts");
    list.replaceChildren();
    for (const conv of state.convs.values()) {
      if (!conv.alert) continue;
      const item = el("li", "alert-item");
      item.append(el("strong", "", t("supporter.alertText", { n: conv.number })), " ",
        button(t("supporter.alertGo"), () => select(conv.frame.conv), "secondary"), " ",
        button(t("supporter.alertAck"), () => {
          conv.alert = false;
          conv.node.querySelector(".crisis-alert").hidden = true;
          renderAlerts();
          renderTabs();
          say(t("alerts.acked"));
        }));
      list.append(item);
    }
    $("support-panel").classList.toggle("alerting", list.children.length > 0);
  }

  // Server events --------------------------------------------------------------------------

  client.addEventListener("answer", (e) => {
    const { request, answer } = e.detail;
    if (!state.on && !(request.conv && state.convs.has(request.conv))) return;
    // A conversation asked back after a reload that has ended (or is another's): nothing to say.
    if (request.type === "conv_resume" && answer.type === "error" && !state.convs.has(request.conv)) return;
    if (request.type === "support_available") {
      const askedWith = openWhenAsked.get(request.id);
      openWhenAsked.delete(request.id);
      if (answer.type === "support_status") {
        state.capacity = answer.capacity;
        state.auto = answer.auto;
        sessionStorage.setItem(AVAILABILITY_KEY, JSON.stringify(state.wanted));
        renderQueue();
        say($("supporter-status").textContent);
        endGoneConversations(askedWith, answer.convs, answer.ended);
      } else say(errorText(answer.code));
    } else if (request.type === "support_take") {
      if (answer.type === "error") say(errorText(answer.code));
    } else if (request.type === "conv_transfer") {
      const conv = state.convs.get(request.conv);
      if (answer.type === "conv_handed_over" && conv) {
        conv.node.querySelector(".conv-messages").append(el("li", "note", t("supporter.handedOver")));
        ended(conv, "transfer");
        say(t("supporter.handedOver"));
      } else if (conv) conv.node.querySelector(".transfer-panel .hint").textContent = errorText(answer.code);
    } else if (request.type === "conv_warn" && answer.type === "conv_warn_sent") {
      say(t("supporter.warnSent"));
      const conv = state.convs.get(request.conv);
      conv?.node.querySelector(".conv-messages").append(el("li", "note",
        t("supporter.warnedNote", { reason: request.reason ?? "" })));
    } else if (["conv_send", "conv_warn", "conv_end", "conv_ban", "conv_resume"].includes(request.type)
        && answer.type === "error") {
      const conv = state.convs.get(request.conv);
      if (answer.code === "conversation_not_found" && conv && !conv.ended) {
        // Gone on the server (e.g. handed back to the queue when a process stopped).
        endedAway(conv, answer.reason);
      }
      // A reply that did not go out comes back into an empty box: nothing typed is lost.
      const box = conv?.node.querySelector(".conv-text:not([disabled])");
      if (request.type === "conv_send" && box && !box.value) box.value = request.text;
      say(errorText(answer.code));
    }
  });
  // An admin took the one-to-one right away: the queue (people's topics and answers) goes,
  // with the availability; conversations from the queue end (conv_ended, by "revoked": their
  // people wait for another supporter), those opened from an alert stay.
  client.addEventListener("support_revoked", (e) => {
    // Taken away while this console had no socket: the server says it on its return, with the
    // conversations still this supporter's (from alerts: asked back, with what was said
    // meanwhile) and why the others ended.
    const { convs, ended: why } = e.detail;
    for (const conv of Array.isArray(convs) ? state.convs.values() : []) {
      if (conv.ended) continue;
      if (convs.includes(conv.frame.conv)) client.request({ type: "conv_resume", conv: conv.frame.conv });
      else endedAway(conv, why?.[conv.frame.conv]);
    }
    state.on = false;
    state.wanted = null;
    state.queue = { waiting: [], supporters: 0, capacity: 0, busy: 0 };
    sessionStorage.removeItem(AVAILABILITY_KEY);
    renderQueue();
    showPanel();
    say(t("supporter.revoked"));
  });
  client.addEventListener("queue", (e) => {
    if (!state.on) return;
    const now = Date.now();
    state.queue = { ...e.detail, waiting: e.detail.waiting.map((w) => ({ ...w, arrived: now - w.waited_s * 1000 })) };
    const fresh = state.queue.waiting.filter((w) => w.crisis && !state.seenCrisis.has(w.request));
    for (const w of fresh) state.seenCrisis.add(w.request);
    renderQueue();
    if (fresh.length) urgent(t("supporter.crisisWaiting", { n: fresh.length }));
  });
  client.addEventListener("conv_started", (e) => {
    const known = state.convs.get(e.detail.conv);
    const fromAlert = e.detail.alert !== undefined && e.detail.alert !== null;
    if ((state.on || fromAlert) && e.detail.role === "supporter"
        && (!known || (e.detail.resumed && !known.ended))) {
      started(e.detail);
    }
  });
  client.addEventListener("conv_message", (e) => {
    const conv = state.convs.get(e.detail.conv);
    if (!conv) return;
    addMessage(conv, e.detail);
    if (e.detail.from === "participant") {
      if (e.detail.conv !== state.current) { conv.unread = (conv.unread ?? 0) + 1; renderTabs(); }
      say(t("supporter.newMessage", { n: conv.number, text: e.detail.text }));
    }
  });
  client.addEventListener("conv_alert", (e) => {
    const conv = state.convs.get(e.detail.conv);
    if (!conv) return;
    conv.alert = true;
    const box = conv.node.querySelector(".crisis-alert");
    box.replaceChildren(el("strong", "", t("supporter.alertText", { n: conv.number })), " ",
      el("span", "", t("supporter.alertHelp")));
    box.hidden = false;
    renderAlerts();
    renderTabs();
    urgent(t("supporter.alertText", { n: conv.number }));
  });
  client.addEventListener("conv_ended", (e) => {
    const conv = state.convs.get(e.detail.conv);
    if (conv && !conv.ended) ended(conv, e.detail.by);
  });
  for (const [kind, there] of [["conv_person_away", false], ["conv_person_back", true]]) {
    client.addEventListener(kind, (e) => {
      const conv = state.convs.get(e.detail.conv);
      if (conv && !conv.ended) personThere(conv, there);
    });
  }
  // While the connection is down the list is not known, and the server has made this
  // supporter unavailable (their last socket closed): show that, not a stale list.
  client.addEventListener("reconnecting", () => {
    if (!state.on) return;
    state.capacity = 0;
    state.queue = { waiting: [], supporters: 0, capacity: 0, busy: 0 };
    renderQueue();
  });
  // A socket that closed made this supporter unavailable: say so again once back.
  // The server sends the open conversations back after support_available; without one, each
  // is asked for (what was said while the socket was down comes with the history).
  client.addEventListener("welcome", () => {
    if (!active()) return;
    // Also off duty (capacity 0): the server then still lists who is waiting. Before start()
    // has said anything (wanted is null) it is start() that says it, from what the tab saved:
    // saying 0 here would overwrite that saved availability while start() is still loading.
    if (state.on && state.wanted) sendAvailability(state.wanted.capacity, state.wanted.auto);
    else {
      for (const conv of state.convs.values()) {
        if (!conv.ended) client.request({ type: "conv_resume", conv: conv.frame.conv });
      }
    }
  });

  return {
    /** Whether this console has the conversation. */
    has: (conv) => state.convs.has(conv),
    /** Bring a conversation into view, with the focus in its text box. */
    show(conv) {
      if (!state.convs.has(conv)) return;
      select(conv, true);
      state.convs.get(conv).node.scrollIntoView({ block: "nearest" });
    },
    /** After a reload: the open conversations this staff member had from alerts. */
    resumeFrom(convs) {
      for (const conv of convs) {
        if (!state.convs.has(conv)) client.request({ type: "conv_resume", conv });
      }
    },
    async start() {
      if (!api.account?.one_to_one) return;
      state.on = true;
      showPanel();
      const answer = await fetch("/api/one-to-one", { cache: "no-cache" }).catch(() => null);
      if (answer?.ok) state.questions = (await answer.json()).questions ?? [];
      renderQueue();
      renderTabs();
      // A supporter who saved their availability while the questions were loading has said
      // it already: what the tab had saved before must not overwrite it.
      if (state.wanted) return;
      // Not on duty until they say so, but they see who is waiting from the start.
      const saved = JSON.parse(sessionStorage.getItem(AVAILABILITY_KEY) ?? "null");
      if (saved?.capacity > 0) {
        $("supporter-capacity").value = String(saved.capacity);
        $("supporter-auto").checked = Boolean(saved.auto);
      }
      sendAvailability(saved?.capacity ?? 0, Boolean(saved?.auto));
    },
    relabel() {
      if (!state.on) return;
      renderQueue();
      renderTabs();
      renderAlerts();
    },
  };
}
