// The staff pages without the console's live connection (the admin pages, the funder's
// report) say when a call for help is waiting untaken. Someone working there is not counted as
// a facilitator online (the person is told that nobody is there), so without this a one-person
// staff, there to edit a schedule, would not know; the console, once opened, tells the person.
import { $, el } from "./dom.js";
import { keyed } from "./i18n.js";

// Looked at again this often, and at once when the page is shown again.
const EVERY_MS = 15000;

/** Keep the line `id` saying how many alerts nobody has taken, with the way to the console. */
export function watchOpenAlerts(api, id = "open-alerts") {
  const line = $(id);
  let timer = null;

  async function check() {
    clearTimeout(timer);
    const answer = await api.get("/api/alerts");
    if (answer.ok) render((answer.body.alerts ?? []).filter((a) => a.state === "open").length);
    clearTimeout(timer); // another look may have ended meanwhile (the tab shown again)
    timer = setTimeout(check, EVERY_MS);
  }

  function render(open) {
    line.hidden = open === 0;
    if (open === 0) return;
    const link = keyed(el("a"), "alerts.openConsole");
    link.href = "/staff";
    line.replaceChildren(keyed(el("span"), "alerts.waitingElsewhere", { n: open }), " ", link);
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") check();
  });
  check();
}
