// The shared alert inbox of the console (docs/protocol.md, "The alert inbox"): every staff
// member who may see a room sees the same alerts, kept by the server (GET /api/alerts on
// start and after a reconnect; alert, alert_changed and alert_escalated frames change them),
// with who handles what. From an alert: acknowledge, resolve with an outcome and a note, talk
// privately with the person (conv_open; the conversation opens in the one-to-one panel), go
// to the room. All user text goes in with textContent, never as HTML.
import { $, button, el } from "./dom.js";
import { formatDateTime, formatTime, has, t } from "./i18n.js";

const OUTCOMES = ["supported", "referred", "emergency", "no_action", "unreachable"];
const NOTE_CHARS = 500;
const ORDER = { open: 0, acknowledged: 1, resolved: 2 };
// Why an alert was untaken again (released_why): "went offline" only when that is so; one whose
// reason was not kept (untaken before it was) is said without one.
const RELEASED_WHY = ["revoked", "requeued"];
const releasedKey = (base, alert) => (alert.released_why === "gone" ? base
  : `${base}.${RELEASED_WHY.includes(alert.released_why) ? alert.released_why : "unknown"}`);
// How often a private conversation is asked again while the person's page is coming back.
const RETURNING_RETRY_MS = 1500;

export function initAlertInbox({ client, api, roomName, mayGoTo, goTo, signals, urgent, say,
  conversations, onChange }) {
  const alerts = new Map(); // id -> the alert as the server last told it
  const nodes = new Map(); // id -> { item, form } (a half-filled resolve form is kept)
  const problems = new Map(); // id -> a line to show on the alert (e.g. the person has left)
  // Alerts whose person left with their group's close and has no page open any more (the
  // server says so as soon as it is true, and again when a page of theirs is back).
  const leftAtClose = new Set();
  const requests = new Map(); // request id -> { type, alert }
  // Alerts whose person's page is coming back (person_returning): conv_open is asked again
  // by itself until the conversation opens or the server says they are gone.
  const retrying = new Map(); // alert id -> timer
  const errorText = (code) => t(has(`alerts.error.${code}`) ? `alerts.error.${code}`
    : has(`error.${code}`) ? `error.${code}` : "error.generic");
  // By account id: display names are not unique, and a namesake must not read that they
  // handle someone else's call.
  const mine = (alert) => Boolean(alert.acknowledged_by_id)
    && alert.acknowledged_by_id === api.account?.id;
  const what = (alert) => t(has(`alerts.${alert.kind}`) ? `alerts.${alert.kind}` : "alerts.other");
  const where = (alert) => {
    if (!alert.room) return t("alerts.oneToOneWhere");
    return alert.name ? t("alerts.who", { name: alert.name, room: roomName(alert.room) })
      : roomName(alert.room);
  };

  function when(iso) {
    const at = new Date(iso);
    return at.toDateString() === new Date().toDateString() ? formatTime(at.getTime())
      : formatDateTime(iso);
  }

  // One alert -------------------------------------------------------------------------------

  function stateLine(alert) {
    const line = el("p", "alert-state");
    if (alert.state === "open") {
      line.append(el("strong", "", t("alerts.stateOpen")));
      if (alert.released_by) {
        line.append(" ", t(releasedKey("alerts.releasedBy", alert), { name: alert.released_by }));
      }
    } else if (alert.state === "acknowledged") {
      line.append(el("strong", "", mine(alert) ? t("alerts.handledByYou")
        : t("alerts.handledBy", { name: alert.acknowledged_by ?? "" })));
    } else {
      line.append(el("strong", "", t("alerts.resolvedBy", {
        outcome: t(`alerts.outcome.${alert.outcome}`), name: alert.resolved_by ?? "" })));
    }
    if (alert.escalated) line.append(" ", el("span", "badge escalated", t("alerts.escalated")));
    return line;
  }

  function resolveForm(alert) {
    const form = el("form", "conv-panel resolve-form");
    form.hidden = true;
    const set = el("fieldset", "choices");
    set.append(el("legend", "", t("alerts.outcomeQuestion")));
    for (const outcome of OUTCOMES) {
      const label = el("label");
      const input = el("input");
      input.type = "radio";
      input.name = `outcome-${alert.id}`;
      input.value = outcome;
      input.required = true;
      label.append(input, " ", el("span", "", t(`alerts.outcome.${outcome}`)));
      set.append(label);
    }
    const noteId = `alert-note-${alert.id}`;
    const label = el("label", "", t("alerts.note"));
    label.htmlFor = noteId;
    const note = el("textarea");
    note.id = noteId;
    note.rows = 2;
    note.maxLength = NOTE_CHARS;
    note.setAttribute("aria-describedby", `${noteId}-hint`);
    const hint = el("p", "hint", t("alerts.noteHint"));
    hint.id = `${noteId}-hint`;
    const save = el("button", "", t("alerts.resolveSave"));
    save.type = "submit";
    const actions = el("div", "actions");
    actions.append(save, button(t("common.cancel"), () => {
      form.hidden = true;
      nodes.get(alert.id)?.item.querySelector("[data-action=resolve]")?.focus();
    }, "secondary"));
    form.append(set, label, note, hint, actions);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const outcome = new FormData(form).get(`outcome-${alert.id}`);
      if (!outcome) return;
      const frame = { type: "alert_resolve", alert: alert.id, outcome };
      if (note.value.trim()) frame.note = note.value.trim();
      requests.set(client.request(frame), { type: "alert_resolve", alert: alert.id });
    });
    return form;
  }

  function actionButton(action, label, onClick, className = "secondary") {
    const b = button(label, onClick, className);
    b.dataset.action = action;
    return b;
  }

  function build(alert) {
    const item = el("li", `alert-item state-${alert.state}`);
    item.dataset.alert = String(alert.id);
    const head = el("p", "queue-head");
    head.append(el("strong", "", what(alert)), " ", el("span", "", where(alert)), " ",
      el("time", "", when(alert.created_at)));
    head.lastChild.dateTime = alert.created_at;
    item.append(head, stateLine(alert));
    // Several crisis messages from the person are one call: how many, and "go to the group"
    // shows the latest (where the person is now), not the first.
    if ((alert.messages ?? 0) > 1) {
      item.append(el("p", "alert-messages", t("alerts.messages", { n: alert.messages })));
    }
    if (alert.note) item.append(el("p", "note-text", t("alerts.noteShown", { note: alert.note })));
    if (alert.conv) {
      const line = el("p", "alert-conv", t("alerts.convOpened"));
      if (conversations.has(alert.conv)) {
        line.append(" ", actionButton("show", t("alerts.convShow"),
          () => conversations.show(alert.conv), "link"));
      }
      item.append(line);
    }
    const left = leftAtClose.has(alert.id) && alert.state !== "resolved";
    if (left) item.append(el("p", "error alert-left", t("alerts.leftAtClose")));
    else if (problems.has(alert.id)) item.append(el("p", "error", problems.get(alert.id)));
    const tools = el("p", "tools");
    const person = alert.room && alert.member && !left; // no one to talk to
    if (alert.state === "open") {
      tools.append(actionButton("ack", t("alerts.ack"), () => {
        requests.set(client.request({ type: "alert_ack", alert: alert.id }),
          { type: "alert_ack", alert: alert.id });
      }, ""));
    }
    if (alert.state !== "resolved") {
      if (person && !alert.conv) {
        const talkButton = actionButton("talk", t("alerts.talk"), () => talk(alert.id));
        talkButton.setAttribute("aria-label", t("alerts.talkTo", { name: alert.name ?? "" }));
        tools.append(talkButton);
      }
      tools.append(actionButton("resolve", t("alerts.resolve"), () => {
        const form = nodes.get(alert.id)?.form;
        if (!form) return;
        form.hidden = false;
        form.querySelector("input")?.focus();
      }));
    }
    if (alert.room && mayGoTo(alert.room)) {
      tools.append(actionButton("goto", t("alerts.goTo"), () => goTo(alert.room, alert.seq)));
    }
    if (tools.children.length) item.append(tools);
    return item;
  }

  function place(alert) {
    const old = nodes.get(alert.id);
    const focused = old?.item.contains(document.activeElement)
      ? document.activeElement.dataset.action ?? "" : null;
    const item = build(alert);
    const form = alert.state === "resolved" ? null : old?.form ?? resolveForm(alert);
    if (form) item.append(form);
    nodes.set(alert.id, { item, form });
    return { item, focused };
  }

  // The lists -------------------------------------------------------------------------------

  function sorted(list) {
    return list.sort((a, b) => (ORDER[a.state] - ORDER[b.state])
      || (Date.parse(b.created_at) - Date.parse(a.created_at)));
  }

  function render() {
    const all = [...alerts.values()];
    const active = sorted(all.filter((a) => a.state !== "resolved"));
    const done = sorted(all.filter((a) => a.state === "resolved"));
    let refocus = null;
    const fill = (list, items) => {
      list.replaceChildren(...items.map((alert) => {
        const { item, focused } = place(alert);
        if (focused !== null) refocus = { item, focused };
        return item;
      }));
    };
    fill($("alerts"), active);
    fill($("alerts-resolved"), done);
    for (const id of [...nodes.keys()]) if (!alerts.has(id)) nodes.delete(id);
    $("alerts-done").hidden = done.length === 0;
    $("alerts-done-title").textContent = t("alerts.resolvedTitle", { n: done.length });
    if (refocus) {
      const target = refocus.item.querySelector(`[data-action="${refocus.focused}"]`)
        ?? refocus.item.querySelector("button:not([disabled])");
      (target ?? $("alerts-title")).focus();
    }
    onChange();
  }

  // An alert only moves forward (open, acknowledged, resolved; once escalated it stays so;
  // untaken again only when its handler went offline, which counts up `releases`), but its
  // frames come from any process and can overtake each other: an escalation sent just before
  // someone acknowledged may arrive after. A telling that ranks below what is known is stale,
  // and must not show a taken alert as untaken again.
  // The messages folded into a call only grow too: whichever frame counted more of them
  // says which message is the latest, also when it ranks below (taken meanwhile).
  const rank = (alert) => (alert.releases ?? 0) * 3 + ORDER[alert.state];
  function later(known, told) {
    const [kept, other] = !known || rank(told) >= rank(known) ? [told, known] : [known, told];
    let now = other?.escalated && !kept.escalated ? { ...kept, escalated: true } : kept;
    if ((other?.messages ?? 0) > (now.messages ?? 0)) {
      now = { ...now, seq: other.seq, messages: other.messages };
    }
    return now;
  }

  // Taken or resolved (here, in another tab, by someone else): its desktop notification goes.
  function settle(before, now) {
    if (now.state !== "open" && before?.state !== now.state) signals.dismiss(`alert-${now.id}`);
  }

  let toldSinceLoad = null; // ids told by frames while /api/alerts is on its way
  function upsert(alert) {
    const before = alerts.get(alert.id);
    const now = later(before, alert);
    alerts.set(alert.id, now);
    toldSinceLoad?.add(alert.id);
    settle(before, now);
    return { before, now };
  }

  async function load() {
    const told = new Set();
    toldSinceLoad = told;
    const answer = await api.get("/api/alerts");
    if (toldSinceLoad === told) toldSinceLoad = null;
    if (!answer.ok) return;
    const known = new Map(alerts);
    alerts.clear();
    for (const alert of answer.body.alerts ?? []) {
      const now = later(known.get(alert.id), alert);
      alerts.set(alert.id, now);
      settle(known.get(alert.id), now); // taken while this console was away
    }
    for (const id of told) if (!alerts.has(id) && known.has(id)) alerts.set(id, known.get(id));
    render();
    conversations.resumeFrom([...alerts.values()].filter((a) => a.conv && a.state !== "resolved"
      && mine(a)).map((a) => a.conv));
  }

  // Server events -----------------------------------------------------------------------------

  // What is said aloud and signalled: a new alert, one still waiting (escalated), or the
  // person pressing "I need help now" again, or writing crisis language again, while their
  // call is open.
  const ANNOUNCE = {
    new: ["alerts.announce", "alerts.notifyTitle"],
    escalated: ["alerts.escalatedAnnounce", "alerts.escalatedTitle"],
    again: ["alerts.againAnnounce", "alerts.againTitle"],
    againCrisis: ["alerts.againCrisisAnnounce", "alerts.againCrisisTitle"],
  };
  function announce(alert, how) {
    const words = { what: what(alert), name: alert.name ?? "",
      room: alert.room ? roomName(alert.room) : t("alerts.oneToOneWhere") };
    const [spoken, title] = ANNOUNCE[how];
    // A report is read out once, as a report (staff.js), not twice.
    if (how !== "new" || alert.kind !== "report") urgent(t(spoken, words));
    signals.signal({ title: t(title), tag: `alert-${alert.id}`,
      body: t("alerts.notifyBody", words) });
  }

  client.addEventListener("alert", (e) => {
    const alert = e.detail.alert;
    if (!alert) return; // every alert comes with its stored form
    const { before, now } = upsert(alert);
    render();
    if (!before) announce(alert, "new");
    // Pressed again, or crisis language again, by someone whose call is open (also one this
    // facilitator is handling): said and signalled like a new alert, never a second item.
    else if (e.detail.again && now.state !== "resolved") {
      announce(now, e.detail.why === "crisis" ? "againCrisis" : "again");
    }
  });
  // Its handler went offline without closing it: someone else must take it.
  function announceReleased(alert) {
    const words = { name: alert.released_by ?? "", what: what(alert), who: alert.name ?? "" };
    urgent(t(releasedKey("alerts.releasedAnnounce", alert), words));
    signals.signal({ title: t("alerts.releasedTitle"), tag: `alert-${alert.id}`,
      body: t("alerts.notifyBody", { what: what(alert),
        room: alert.room ? roomName(alert.room) : t("alerts.oneToOneWhere") }) });
  }
  const released = (before, now) => before && before.state !== "open" && now.state === "open";

  // An open alert this console never heard of (its `alert` frame was lost: the sending
  // process died after storing it; it came between the first GET /api/alerts and the hello)
  // is said and signalled now as new, or escalated, or untaken again: never taken in silently.
  function announceUnheard(alert) {
    if (alert.released_by) announceReleased(alert);
    else announce(alert, alert.escalated ? "escalated" : "new");
  }

  client.addEventListener("alert_changed", (e) => {
    const { before, now } = upsert(e.detail.alert);
    render();
    if (!before) { if (now.state === "open") announceUnheard(now); }
    else if (released(before, now)) announceReleased(now);
    else if (before.state === "open" && now.state !== "open" && !mine(now)) {
      say(t("alerts.takenAnnounce", { name: now.acknowledged_by ?? "", what: what(now),
        who: now.name ?? "" }));
    }
  });
  client.addEventListener("alert_escalated", (e) => {
    const { before, now } = upsert(e.detail.alert);
    render();
    if (!before) { if (now.state === "open") announceUnheard(now); }
    else if (released(before, now)) announceReleased(now);
    // Only a change to escalated is said: the same escalation told again (sent again after a
    // Redis outage) must not sound on every console once more. Not when someone took it.
    else if (now.state === "open" && !before.escalated) announce(now, "escalated");
  });
  // The person of an open call left with their group's close and is gone (or a page of
  // theirs is back): shown on the alert at once, and said.
  client.addEventListener("alert_person", (e) => {
    const { alert: id, left } = e.detail;
    if (left === leftAtClose.has(id)) return;
    if (left) leftAtClose.add(id);
    else leftAtClose.delete(id);
    problems.delete(id); // what the answer button said before no longer holds
    render();
    const alert = alerts.get(id);
    if (alert && alert.state !== "resolved") {
      say(t(left ? "alerts.leftAtCloseAnnounce" : "alerts.backAfterCloseAnnounce",
        { name: alert.name ?? "" }));
    }
  });
  client.addEventListener("answer", (e) => {
    const { request, answer } = e.detail;
    const asked = requests.get(request.id);
    if (!asked) return;
    requests.delete(request.id);
    if (answer.type === "done" && answer.alert) {
      upsert(answer.alert);
      if (asked.type === "alert_resolve") nodes.get(asked.alert).form = null;
      render();
      say(t(asked.type === "alert_ack" ? "alerts.acked" : "alerts.resolvedDone"));
      if (asked.type === "alert_resolve") $("alerts-title").focus();
      return;
    }
    if (answer.type === "conv_started") {
      stopRetrying(asked.alert);
      if (problems.delete(asked.alert)) render();
      conversations.show(answer.conv);
      return;
    }
    if (answer.type !== "error") return;
    if (answer.code === "person_returning" && alerts.get(asked.alert)?.state !== "resolved") {
      // Their page is reloading (or their phone reconnecting): tried again by itself, so
      // the conversation reaches them once they are back, without a second press.
      const again = retrying.has(asked.alert);
      retrying.set(asked.alert, setTimeout(() => ask(asked.alert), RETURNING_RETRY_MS));
      if (again) return; // said once, not on every try
      problems.set(asked.alert, t("alerts.error.person_returning"));
      say(errorText(answer.code));
      render();
      return;
    }
    stopRetrying(asked.alert);
    // Said on the alert itself: the person left the group (or left with its close and has no
    // page open any more: they were shown the crisis lines; or their page is reloading).
    if (["member_not_found", "person_left", "person_returning"].includes(answer.code)) {
      problems.set(asked.alert, t(`alerts.error.${answer.code}`));
    }
    say(errorText(answer.code));
    if (["alert_state", "alert_not_found"].includes(answer.code)) load(); // someone was quicker
    else render();
  });

  function stopRetrying(id) {
    clearTimeout(retrying.get(id));
    retrying.delete(id);
  }

  function ask(id) {
    if (alerts.get(id)?.state === "resolved") { stopRetrying(id); return; }
    requests.set(client.request({ type: "conv_open", alert: id }), { type: "conv_open", alert: id });
  }

  function talk(id) {
    stopRetrying(id);
    problems.delete(id);
    ask(id);
  }

  return {
    load,
    render,
    talk,
    /** The alert a report raised (its person is the writer of the reported message). */
    ofReport: (report) => [...alerts.values()].find((a) => a.kind === "report" && a.report === report),
    /** open: nobody has taken it yet (a report is counted once, with the reports);
     * unresolved: open or being handled. */
    counts() {
      const all = [...alerts.values()];
      return { open: all.filter((a) => a.state === "open" && a.kind !== "report").length,
        unresolved: all.filter((a) => a.state !== "resolved").length };
    },
    relabel() {
      for (const entry of nodes.values()) entry.form = null; // rebuilt in the new language
      render();
    },
  };
}
