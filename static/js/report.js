// The funder's report (issue 21): per group and period, meetings held, people reached, how
// people felt at the start and at the end, whether better, the same or worse, the mean change
// with its 95 % confidence interval, feedback, and how fast alerts were answered
// (GET /api/impact). Admins see every group, a facilitator their own. Any figure the server
// gives as "fewer_than_5" is shown as such: nothing here computes a figure of its own from
// fewer answers. Plots are inline SVG (report-charts.js) with the same numbers in tables; the
// print stylesheet makes an A4 page per group. Every text goes in with textContent.
import { $, el } from "./dom.js";
import { applyTo, lang, locale, startLang, t } from "./i18n.js";
import { barChart, compact, intervalChart } from "./report-charts.js";
import { watchOpenAlerts } from "./open-alerts.js";
import { signIn, showAccount, StaffApi, staffError } from "./staffapi.js";

const FEWER = "fewer_than_5";
const LEVELS = [5, 4, 3, 2, 1];
const api = new StaffApi();
let rooms = [];
let shown = null; // the last report the server gave
const say = (text) => { $("status-live").textContent = text; };

const number = (n, options = {}) => new Intl.NumberFormat(locale(), options).format(n);
const decimal = (n) => number(n, { maximumFractionDigits: 2 });
const signed = (n) => number(n, { maximumFractionDigits: 2, signDisplay: "exceptZero" });
const share = (n) => number(n, { style: "percent", maximumFractionDigits: 0 });
const minutes = (n) => number(n, { style: "unit", unit: "minute", unitDisplay: "long",
  maximumFractionDigits: 1 });
const suppressed = (value) => value === FEWER;
/** A figure as shown: "fewer than 5" where the server withheld it, "–" where there is none. */
const shownAs = (value, format = decimal) => (suppressed(value) ? t("report.fewer")
  : value === null || value === undefined ? "–" : format(value));

/** YYYY-MM-DD of a local day. */
const isoDay = (d) => d.toLocaleDateString("sv-SE");
const longDate = (value) => new Intl.DateTimeFormat(locale(), { dateStyle: "long" })
  .format(new Date(`${value}T00:00`));

/** The chosen local days as UTC instants: the first day's midnight to the midnight after the
 * last. */
function period() {
  const from = new Date(`${$("report-from").value}T00:00`);
  const to = new Date(`${$("report-to").value}T00:00`);
  to.setDate(to.getDate() + 1);
  return { from: from.toISOString(), to: to.toISOString() };
}

function query(extra = {}) {
  const params = new URLSearchParams({ ...period(), ...extra });
  if ($("report-room").value) params.set("room", $("report-room").value);
  return params.toString();
}

function renderRoomChoice() {
  const select = $("report-room");
  const chosen = select.value;
  const all = el("option", "", t("report.allGroups"));
  all.value = "";
  select.replaceChildren(all, ...rooms.map((room) => {
    const option = el("option", "", room.name[lang()] ?? room.name.fi);
    option.value = room.id;
    return option;
  }));
  select.value = rooms.some((r) => r.id === chosen) ? chosen : "";
}

async function load(announce = false) {
  $("report-error").textContent = "";
  if (!$("report-form").reportValidity()) return;
  const { from, to } = period();
  if (from >= to) { $("report-error").textContent = t("report.badPeriod"); return; }
  // One-to-one support is the whole service's, not a group's: for admins, with every group.
  const whole = api.account.role === "admin" && !$("report-room").value;
  const [answer, o2o] = await Promise.all([api.get(`/api/impact?${query({ lang: lang() })}`),
    whole ? api.get(`/api/one-to-one/stats?${new URLSearchParams({
      since: $("report-from").value, until: $("report-to").value })}`) : null]);
  if (!answer.ok) { $("report-error").textContent = staffError(answer.body.error); return; }
  shown = { ...answer.body, o2o: o2o?.ok ? o2o.body : null };
  $("report-csv").href = `/api/impact.csv?${query({ lang: lang() })}`;
  render();
  if (announce) {
    say(t("report.shown", { from: longDate($("report-from").value),
      to: longDate($("report-to").value) }));
  }
}

function render() {
  if (!shown) return;
  const room = rooms.find((r) => r.id === $("report-room").value);
  $("report-period").replaceChildren(
    el("span", "", t("report.period", { from: longDate($("report-from").value),
      to: longDate($("report-to").value) })),
    " · ", el("span", "", room ? (room.name[lang()] ?? room.name.fi) : t("report.allGroups")),
    " · ", el("span", "", t("report.made", { date: longDate(isoDay(new Date())) })));
  const box = $("report-groups");
  box.replaceChildren(...shown.groups.map(renderGroup));
  if (!shown.groups.length) box.append(el("p", "hint", t("report.none")));
  if (shown.o2o) box.append(oneToOne(shown.o2o));
}

// One group ------------------------------------------------------------------------------------

/** Figures as a definition list: [key, {raw, text}, label (default: report.<key>)]. */
function figures(rows) {
  const list = el("dl", "figures report-figures");
  for (const [key, value, label] of rows) {
    const dd = el("dd", suppressed(value.raw) ? "fewer" : "", value.text);
    dd.dataset.figure = key;
    list.append(el("dt", "", label ?? t(`report.${key}`)), dd);
  }
  return list;
}
const fig = (raw, format) => ({ raw, text: shownAs(raw, format) });

function section(group, key, titleText) {
  const part = el("section", `report-part part-${key}`);
  const title = el("h3", "", titleText);
  title.id = `${group.room}-${key}-title`;
  part.setAttribute("aria-labelledby", title.id);
  part.append(title);
  return part;
}

function renderGroup(group) {
  const box = el("section", "report-group");
  box.dataset.room = group.room;
  const title = el("h2", "", group.name);
  title.id = `group-${group.room}-title`;
  box.setAttribute("aria-labelledby", title.id);
  box.append(title);
  const answered = [group.check_in, group.check_out, group.change].some((f) => !suppressed(f));
  const asks = group.checkin_asked || answered;
  const top = [["sessionsHeld", fig(group.sessions_held)], ["peopleReached", fig(group.people_reached)]];
  if (asks) top.push(["answers", fig(group.answers)]);
  box.append(figures(top));
  if (asks) {
    box.append(feelings(group), change(group));
    if (group.question) box.append(extra(group));
  } else box.append(el("p", "hint", t("report.notAsked")));
  box.append(feedback(group), alerts(group));
  return box;
}

/** A table with the same numbers as a plot, for screen readers (and the print's reader). */
function table(caption, columns, rows) {
  const node = el("table", "report-table sr-only");
  node.append(el("caption", "", caption));
  const head = el("tr");
  for (const text of columns) {
    const th = el("th", "", text);
    th.scope = "col";
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  const body = el("tbody");
  for (const [label, ...cells] of rows) {
    const tr = el("tr");
    const th = el("th", "", label);
    th.scope = "row";
    tr.append(th, ...cells.map((c) => el("td", "", c)));
    body.append(tr);
  }
  node.append(thead, body);
  return node;
}

const levelLabel = (n, words) => t("report.level", { n, word: t(`checkin.${words}${n}`) });

/** A distribution's plot and table: series [{name, figure, style}] of {n, "1".."5", mean}. */
function distribution(caption, series, words) {
  const figure = el("figure", "chart report-chart");
  const shownSeries = series.filter((s) => !suppressed(s.figure) && s.figure);
  if (!shownSeries.length) {
    figure.append(el("p", "fewer-note", t("report.fewerChart")));
    return figure;
  }
  const count = (s, n) => (suppressed(s.figure) || !s.figure ? null : s.figure[String(n)] ?? 0);
  const text = (s, n) => (suppressed(s.figure) || !s.figure ? t("report.fewer")
    : number(count(s, n)));
  const max = Math.max(1, ...series.flatMap((s) => LEVELS.map((n) => count(s, n) ?? 0)));
  figure.append(barChart(LEVELS.map((n) => ({ label: levelLabel(n, words),
    values: series.map((s) => count(s, n)), texts: series.map((s) => text(s, n)) })),
  series.map((s) => ({ name: s.name, style: s.style })), max));
  figure.append(table(caption, [t("report.answer"), ...series.map((s) => s.name)],
    LEVELS.map((n) => [levelLabel(n, words), ...series.map((s) => text(s, n))])));
  return figure;
}

function feelings(group) {
  const part = section(group, "feelings", t("report.feelTitle"));
  const series = [
    { name: t("report.start"), figure: group.check_in, style: "hatched" },
    { name: t("report.end"), figure: group.check_out, style: "solid" }];
  part.append(distribution(t("report.feelTitle"), series, "mood"),
    figures([["meanStart", fig(group.check_in?.mean ?? group.check_in)],
      ["meanEnd", fig(group.check_out?.mean ?? group.check_out)]]));
  return part;
}

function change(group) {
  const part = section(group, "change", t("report.changeTitle"));
  const c = group.change;
  if (suppressed(c) || !c) {
    part.append(el("p", "fewer-note", t("report.fewerChart")),
      figures([["pairs", fig(c)], ["meanChange", fig(c)]]));
    return part;
  }
  const kinds = ["better", "same", "worse"];
  const figure = el("figure", "chart report-chart");
  figure.append(barChart(kinds.map((k) => ({ label: t(`report.${k}`), values: [c[k]],
    texts: [share(c[k])] })), [{ name: t("report.share"), style: "solid" }], 1),
  table(t("report.changeTitle"), [t("report.outcome"), t("report.share")], kinds.map((k) => [t(`report.${k}`),
    share(c[k])])));
  const interval = el("figure", "chart report-chart interval");
  const caption = el("figcaption", "hint", t("report.ciAxis"));
  interval.append(intervalChart(c.mean_change, c.ci95[0], c.ci95[1], signed), caption);
  part.append(figure, figures([["pairs", fig(c.n, number)], ["meanChange", fig(c.mean_change, signed)],
    ["ci", { raw: c.ci95, text: t("report.ciValue", { low: signed(c.ci95[0]),
      high: signed(c.ci95[1]) }) }]]), interval, el("p", "hint", t("report.changeHint")));
  return part;
}

function extra(group) {
  const part = section(group, "extra", t("report.extraTitle", { question: group.question }));
  part.append(distribution(t("report.extraTitle", { question: group.question }),
    [{ name: t("report.people"), figure: group.extra, style: "solid" }], "agree"),
  figures([["extraMean", fig(group.extra?.mean ?? group.extra)]]));
  return part;
}

function feedback(group) {
  const part = section(group, "feedback", t("report.feedbackTitle"));
  part.append(figures([["feedbackCount", fig(group.feedback.count, number)],
    ["rating", fig(group.feedback.rating)]]));
  return part;
}

function alerts(group) {
  const part = section(group, "alerts", t("report.alertsTitle"));
  const a = group.alerts;
  part.append(el("p", "hint", t("report.alertsHint")), figures([["alerts", fig(a.count, number)],
    ["alertsAnswered", fig(a.answered, number)],
    ["alertsMedian", fig(a.median_minutes_to_answer, minutes)]]));
  return part;
}

/** One-to-one support for the period (GET /api/one-to-one/stats): counts and waits; the
 * rating after conversations under the same rule as the groups' figures. */
function oneToOne(o2o) {
  const box = el("section", "report-group report-o2o");
  const title = el("h2", "", t("stats.o2o"));
  title.id = "o2o-report-title";
  box.setAttribute("aria-labelledby", title.id);
  const wait = (seconds) => fig(seconds === null || seconds === undefined ? null : seconds / 60,
    minutes);
  const rating = (o2o.feedback?.count ?? 0) < (shown.min_answers ?? 5) ? FEWER
    : o2o.feedback.rating;
  box.append(title, el("p", "hint", t("report.o2oHint")), figures([
    ...["requests", "conversations", "abandoned", "crisis_flagged"].map((key) =>
      [key, fig(o2o[key] ?? 0, number), t(`stats.${key}`)]),
    ["wait_median", wait(o2o.wait_median_seconds), t("stats.wait_median_seconds")],
    ["wait_p90", wait(o2o.wait_p90_seconds), t("stats.wait_p90_seconds")],
    ["o2oFeedback", fig(o2o.feedback?.count ?? 0, number), t("report.feedbackCount")],
    ["o2oRating", fig(rating), t("report.rating")]]));
  return box;
}

// Start ------------------------------------------------------------------------------------

function relabel() {
  applyTo(document);
  if (!api.account) return;
  showAccount(api);
  renderRoomChoice();
  load(); // the groups' names and own questions come in the chosen language
}

async function start() {
  await startLang($("lang"), relabel);
  const today = new Date();
  $("report-from").value = isoDay(new Date(today.getFullYear(), 0, 1)); // this year so far
  $("report-to").value = isoDay(today);
  $("report-form").addEventListener("submit", (e) => { e.preventDefault(); load(true); });
  $("report-print").addEventListener("click", () => window.print());
  compact.addEventListener("change", render); // the plots' layout follows the screen's width
  await signIn(api, async () => {
    showAccount(api);
    watchOpenAlerts(api);
    $("to-staff").hidden = false;
    $("to-admin").hidden = api.account.role !== "admin";
    const all = await fetch("/api/rooms", { cache: "no-store" }).then((r) => r.json());
    rooms = api.account.role === "admin" ? all : all.filter((r) => api.account.rooms.includes(r.id));
    renderRoomChoice();
    $("report").hidden = false;
    await load();
  });
}
start();
