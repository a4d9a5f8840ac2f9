// Message catalogues: every string the UI shows comes from static/i18n/<lang>.json.
export const LANGS = ["fi", "sv", "en"];
const STORE_KEY = "vt.lang";
let catalogue = {};
let current = "fi";

/** @returns {string} the chosen language, remembered on this device (Finnish by default) */
export function chosenLang() {
  const saved = localStorage.getItem(STORE_KEY);
  return LANGS.includes(saved) ? saved : "fi";
}

/** Load a catalogue and translate the page. */
let loading = 0; // the latest request wins when languages are picked quickly one after another
export async function setLang(lang) {
  const mine = ++loading;
  const response = await fetch(`/static/i18n/${lang}.json`, { cache: "no-cache" });
  const loaded = await response.json();
  if (mine !== loading) return;
  catalogue = loaded;
  current = lang;
  localStorage.setItem(STORE_KEY, lang);
  document.documentElement.lang = lang;
  applyTo(document);
}

export function lang() {
  return current;
}

/** Translate a key, filling {placeholders}; an unknown key shows as itself (never blank). */
export function t(key, vars = {}) {
  const text = catalogue[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/** Whether the catalogue has a text for this key. */
export function has(key) {
  return Object.hasOwn(catalogue, key);
}

/** Fill a node with a translated text and remember its key (and values), so that a change of
 * language translates it in place (applyTo). */
export function keyed(node, key, vars) {
  node.textContent = t(key, vars);
  node.dataset.i18n = key;
  if (vars) node.dataset.i18nVars = JSON.stringify(vars);
  else delete node.dataset.i18nVars;
  return node;
}

/** Fill every element that names a key: text, title and placeholder. */
export function applyTo(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {});
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}

const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };

/** The Intl locale of the current language. */
export function locale() {
  return LOCALES[current];
}

/** A sanction's length in words, e.g. "2 tuntia", "1 day"; none: for good. */
export function formatDuration(seconds) {
  if (!seconds) return t("action.forever");
  const [unit, n] = seconds >= 86400 ? ["day", seconds / 86400] : seconds >= 3600
    ? ["hour", seconds / 3600] : ["minute", seconds / 60];
  return new Intl.NumberFormat(LOCALES[current], { style: "unit", unit, unitDisplay: "long" })
    .format(n);
}

/** A day and time in the user's language and time zone, e.g. "ti 1.12. klo 18.00". */
export function formatDateTime(iso) {
  return new Intl.DateTimeFormat(LOCALES[current], { weekday: "short", day: "numeric",
    month: "numeric", hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

/** A time in the user's language, e.g. "18.05" or "6:05 PM". */
export function formatTime(ms) {
  return new Intl.DateTimeFormat(LOCALES[current], { hour: "numeric", minute: "2-digit" }).format(ms);
}

/** Translate the page in the remembered language, and again (then call onChange) whenever
 * the user picks another in the select; returns the language. */
export async function startLang(select, onChange) {
  const chosen = chosenLang();
  select.value = chosen;
  // Listen before the first catalogue arrives: a language picked while the page loads counts.
  select.addEventListener("change", async () => {
    await setLang(select.value);
    onChange();
  });
  await setLang(chosen);
  return select.value;
}

const fading = new WeakMap();
/** Say `key` on a connection line; with `fade`, hidden 2.5 s later unless something else was
 * said meanwhile (a "Reconnecting…" said again must stay until it is over). */
export function sayConnection(line, key, fade = false) {
  clearTimeout(fading.get(line));
  line.textContent = t(key);
  line.dataset.i18n = key; // a language picked meanwhile relabels it (applyTo)
  line.hidden = false;
  if (fade) fading.set(line, setTimeout(() => { line.hidden = true; }, 2500));
}
/** Take the line away (or put other words in it): a "back" said before does not fade them. */
export function clearConnection(line) {
  clearTimeout(fading.get(line));
  delete line.dataset.i18n;
  line.hidden = true;
}
/** Show the connection's state in a status line while it reconnects. `whole()` says whether
 * the page is whole again once the server has welcomed it; if not (a room still to be joined
 * again), the page says "back" itself when it is. */
export function showConnection(client, line, whole = () => true) {
  client.addEventListener("reconnecting", () => sayConnection(line, "connection.reconnecting"));
  client.addEventListener("reconnected", () => {
    if (whole()) sayConnection(line, "connection.back", true);
  });
}
