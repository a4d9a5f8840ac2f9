// A closed group's invite codes and its members (the roster), for the console's group view and
// the admin's group cards: each member's pseudonym in the group and the meetings they came to,
// and taking a member out of the group after a question (docs/http-api.md: GET
// /api/rooms/{id}/roster, DELETE /api/rooms/{id}/members/{member}, POST .../invites).
// Never an identity. All user text goes in with textContent, never as HTML.
import { button, el } from "./dom.js";
import { formatDateTime, keyed, t } from "./i18n.js";
import { staffError } from "./staffapi.js";

let counter = 0;
const path = (room, rest) => `/api/rooms/${encodeURIComponent(room)}/${rest}`;

/** A button that makes a single-use invite code and the list that shows it (once). */
export function inviteMaker(api, room, { say }) {
  const box = el("div", "invite-maker");
  const codes = el("ul", "codes");
  codes.setAttribute("aria-live", "polite");
  const make = button(t("invites.make"), async () => {
    const answer = await api.call("POST", path(room, "invites"), { count: 1 });
    if (!answer.ok) { say(staffError(answer.body.error)); return; }
    for (const code of answer.body.codes) codes.append(el("li", "code", code));
    say(t("invites.made"));
  }, "secondary");
  make.dataset.i18n = "invites.make";
  box.append(keyed(el("p", "hint"), "invites.hint"), make, codes);
  return box;
}

/**
 * The roster of a closed group into `box`: a table of members by meeting, each with "remove
 * from the group" that asks first. Returns { load() }.
 */
export function roster(api, room, box, { say }) {
  const id = `roster-${++counter}`;
  let data = null;
  let asking = null; // the member whose removal is being asked

  function meetingLabel(meeting) {
    const when = formatDateTime(meeting.starts_at);
    return meeting.meeting ? t("roster.meeting", { n: meeting.meeting, time: when }) : when;
  }

  function render() {
    box.replaceChildren();
    const title = el("h4", "", t("roster.title", { n: data?.members.length ?? 0 }));
    title.id = `${id}-title`;
    box.append(title);
    if (!data) return;
    if (!data.members.length) { box.append(el("p", "hint", t("roster.none"))); return; }
    // Only meetings that have begun count for attendance.
    const meetings = data.meetings.filter((m) => ["live", "ending", "closed"].includes(m.state));
    const scroller = el("div", "table-scroll");
    scroller.tabIndex = 0;
    scroller.setAttribute("role", "region");
    scroller.setAttribute("aria-labelledby", title.id);
    const table = el("table", "roster");
    const caption = el("caption", "sr-only", t("roster.caption"));
    const head = el("tr");
    head.append(el("th", "", t("roster.member")));
    head.lastChild.scope = "col";
    for (const meeting of meetings) {
      const th = el("th", "", meetingLabel(meeting));
      th.scope = "col";
      head.append(th);
    }
    const actions = el("th", "", t("roster.actions"));
    actions.scope = "col";
    head.append(actions);
    const thead = el("thead");
    thead.append(head);
    const body = el("tbody");
    for (const member of data.members) {
      const row = el("tr");
      row.dataset.member = member.member;
      const name = el("th", "", member.name);
      name.scope = "row";
      row.append(name);
      const came = new Set(member.attended);
      for (const meeting of meetings) {
        row.append(el("td", came.has(meeting.id) ? "came" : "missed",
          t(came.has(meeting.id) ? "roster.came" : "roster.missed")));
      }
      const cell = el("td");
      if (asking === member.member) cell.append(confirm(member));
      else {
        const remove = button(t("roster.remove"), () => {
          asking = member.member;
          render();
          box.querySelector(".roster-confirm button")?.focus();
        }, "secondary");
        remove.setAttribute("aria-label", t("roster.removeName", { name: member.name }));
        cell.append(remove);
      }
      row.append(cell);
      body.append(row);
    }
    table.append(caption, thead, body);
    scroller.append(table);
    box.append(scroller, el("p", "hint", t("roster.hint")));
  }

  function confirm(member) {
    const wrap = el("div", "roster-confirm");
    wrap.setAttribute("role", "group");
    wrap.setAttribute("aria-label", t("roster.removeQuestion", { name: member.name }));
    wrap.append(el("p", "", t("roster.removeQuestion", { name: member.name })),
      button(t("roster.removeYes"), async () => {
        const answer = await api.call("DELETE", path(room, `members/${encodeURIComponent(member.member)}`));
        asking = null;
        if (!answer.ok && answer.status !== 404) say(staffError(answer.body.error));
        else say(t("roster.removed", { name: member.name }));
        await load();
        box.querySelector("h4")?.focus();
      }, "danger"),
      button(t("common.cancel"), () => {
        asking = null;
        render();
        box.querySelector(`tr[data-member="${CSS.escape(member.member)}"] button`)?.focus();
      }, "secondary"));
    return wrap;
  }

  async function load() {
    const answer = await api.get(path(room, "roster"));
    data = answer.ok ? answer.body : null;
    render();
    if (!answer.ok) box.append(el("p", "error", staffError(answer.body.error)));
    box.querySelector("h4").tabIndex = -1;
  }

  return { load, render };
}
