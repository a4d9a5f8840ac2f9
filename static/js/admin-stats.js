// Admin: statistics and feedback for a period and a room: sessions held and their figures,
// the ratings 1-5 as a bar chart (with the same numbers as a table for screen readers), the
// latest feedback texts, one-to-one figures, and the feedback as a CSV download.
// Counts only; feedback carries no identity. Every text goes in with textContent.
import { $, el } from "./dom.js";
import { formatDateTime, lang, locale, t } from "./i18n.js";
import { staffError } from "./staffapi.js";

const FIGURES = ["sessions_held", "participants", "messages", "reports", "crisis_alerts",
  "feedback", "rating"];
const O2O = ["requests", "conversations", "abandoned", "crisis_flagged", "wait_median_seconds",
  "wait_p90_seconds"];
const TEXTS_SHOWN = 20;
let api;
let rooms = () => [];
let say = () => {};
let shown = null; // { stats, feedback, o2o } of the last period asked for

/** YYYY-MM-DD of a local day, `days` from today. */
function day(days = 0) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return d.toLocaleDateString("sv-SE");
}

/** The chosen local days as UTC instants: from the first day's midnight to the midnight
 * after the last. */
function period() {
  const from = new Date(`${$("stats-from").value}T00:00`);
  const to = new Date(`${$("stats-to").value}T00:00`);
  to.setDate(to.getDate() + 1);
  return { from: from.toISOString(), to: to.toISOString() };
}

function query(extra = {}) {
  const { from, to } = period();
  const params = new URLSearchParams({ from, to, ...extra });
  if ($("stats-room").value) params.set("room", $("stats-room").value);
  return params.toString();
}

const number = (n, options = {}) => new Intl.NumberFormat(locale(), options).format(n);
const minutes = (seconds) => (seconds === null || seconds === undefined ? t("stats.none")
  : number(seconds / 60, { style: "unit", unit: "minute", maximumFractionDigits: 1 }));
const roomName = (id) => {
  const room = rooms().find((r) => r.id === id);
  return room ? (room.name[lang()] ?? room.name.fi) : id;
};

export function renderStatsRooms() {
  const select = $("stats-room");
  const chosen = select.value;
  const all = el("option", "", t("stats.allRooms"));
  all.value = "";
  select.replaceChildren(all, ...rooms().map((room) => {
    const option = el("option", "", roomName(room.id));
    option.value = room.id;
    return option;
  }));
  select.value = chosen;
}

async function load(announce = false) {
  $("stats-error").textContent = "";
  const { from, to } = period();
  if (from >= to) { $("stats-error").textContent = t("stats.badPeriod"); return; }
  const [stats, feedback, o2o] = await Promise.all([
    api.get(`/api/stats?${new URLSearchParams({ from, to })}`),
    api.get(`/api/feedback?${query()}`),
    api.get(`/api/one-to-one/stats?${new URLSearchParams({ since: $("stats-from").value,
      until: $("stats-to").value })}`),
  ]);
  const failed = [stats, feedback, o2o].find((a) => !a.ok);
  if (failed) { $("stats-error").textContent = staffError(failed.body.error); return; }
  const room = $("stats-room").value;
  shown = { stats: stats.body.filter((r) => !room || r.room === room), feedback: feedback.body,
    o2o: o2o.body };
  $("feedback-csv").href = `/api/feedback.csv?${query({ lang: lang() })}`;
  render();
  const date = (value) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium" })
    .format(new Date(`${value}T00:00`));
  if (announce) say(t("stats.shown", { from: date($("stats-from").value), to: date($("stats-to").value) }));
}

function render() {
  if (!shown) return;
  renderFigures();
  renderRatings();
  renderTexts();
  renderOneToOne();
}

function figure(list, key, value) {
  list.append(el("dt", "", t(`stats.${key}`)), el("dd", "", value));
}

function renderFigures() {
  const list = $("stats-rooms");
  list.replaceChildren();
  for (const row of shown.stats) {
    const item = el("li", "card");
    const figures = el("dl", "figures");
    for (const key of FIGURES) {
      const value = row[key];
      figure(figures, key, value === null ? t("stats.none")
        : number(value, { maximumFractionDigits: 2 }));
    }
    item.append(el("h4", "", roomName(row.room)), figures);
    list.append(item);
  }
  if (!shown.stats.length) list.append(el("li", "hint", t("stats.noRooms")));
}

function renderRatings() {
  const counts = [1, 2, 3, 4, 5].map((rating) => shown.feedback.reduce(
    (sum, row) => sum + (row.ratings?.[String(rating)] ?? 0), 0));
  const total = counts.reduce((a, b) => a + b, 0);
  const most = Math.max(1, ...counts);
  const chart = $("rating-chart");
  const body = $("rating-table").querySelector("tbody");
  chart.replaceChildren();
  body.replaceChildren();
  for (let rating = 5; rating >= 1; rating -= 1) {
    const count = counts[rating - 1];
    const row = el("div", "bar-row");
    row.dataset.rating = String(rating);
    const bar = el("span", "rating-bar");
    bar.style.width = `${(100 * count) / most}%`; // CSSOM, allowed by the CSP
    const track = el("span", "bar-track");
    track.append(bar);
    row.append(el("span", "bar-label", t("stats.stars", { n: rating })), track,
      el("span", "bar-count", number(count)));
    chart.append(row);
    const line = el("tr");
    line.append(el("th", "", t("stats.stars", { n: rating })), el("td", "", number(count)));
    line.firstChild.scope = "row";
    body.append(line);
  }
  const average = total ? counts.reduce((sum, n, i) => sum + n * (i + 1), 0) / total : null;
  $("rating-caption").textContent = t("stats.ratings");
  $("rating-summary").textContent = total
    ? t("stats.ratingSummary", { n: number(total), avg: number(average, { maximumFractionDigits: 2 }) })
    : t("stats.noFeedback");
}

function renderTexts() {
  const list = $("feedback-texts");
  list.replaceChildren();
  const texts = [...shown.feedback].sort((a, b) => b.starts_at.localeCompare(a.starts_at))
    .flatMap((row) => row.texts.map((text) => ({ row, text }))).slice(0, TEXTS_SHOWN);
  for (const { row, text } of texts) {
    const item = el("li", "card");
    item.append(el("p", "hint", t("stats.textFrom", { room: roomName(row.room),
      time: formatDateTime(row.starts_at) })), el("p", "text", text));
    list.append(item);
  }
  if (!texts.length) list.append(el("li", "hint", t("stats.noTexts")));
}

function renderOneToOne() {
  const list = $("o2o-figures");
  list.replaceChildren();
  for (const key of O2O) {
    const value = shown.o2o[key];
    figure(list, key, key.startsWith("wait_") ? minutes(value) : number(value ?? 0));
  }
  const hours = $("o2o-hours");
  hours.replaceChildren();
  const weekday = new Intl.DateTimeFormat(locale(), { weekday: "long", timeZone: "UTC" });
  for (const [hour, cell] of Object.entries(shown.o2o.per_hour_of_week ?? {})) {
    const h = Number(hour);
    // Hour 0 is Monday 00-01; 2024-01-01 was a Monday.
    hours.append(el("li", "", t("stats.hourLine", {
      day: weekday.format(Date.UTC(2024, 0, 1 + Math.floor(h / 24))),
      from: String(h % 24).padStart(2, "0"), to: String((h % 24) + 1).padStart(2, "0"),
      requests: number(cell.requests), conversations: number(cell.conversations),
      abandoned: number(cell.abandoned) })));
  }
  if (!hours.children.length) hours.append(el("li", "hint", t("stats.noRequests")));
}

/** Wire the section; `options.rooms()` gives the rooms, `options.say` announces. */
export async function startStats(staffApi, options) {
  api = staffApi;
  rooms = options.rooms;
  say = options.say;
  $("stats-from").value = day(-30);
  $("stats-to").value = day(0);
  renderStatsRooms();
  $("stats-form").addEventListener("submit", (e) => { e.preventDefault(); load(true); });
  await load();
}

/** Again in the newly chosen language. */
export function relabelStats() {
  renderStatsRooms();
  render();
}
