// How the console draws a facilitator's attention to a new alert beyond the page itself, each
// by the facilitator's own choice, kept on this device: a short tone made here with the Web
// Audio API (no sound file is fetched from anywhere) and a desktop notification (the browser's
// permission is asked only when the facilitator presses the button, never on load). Also the
// inbox as a sheet on a narrow screen, opened from the bar with the counts.
import { $ } from "./dom.js";
import { t } from "./i18n.js";

const SOUND_KEY = "vt.staff.sound";
const NOTIFY_KEY = "vt.staff.notify";

export function initAlertSignals() {
  const prefs = {
    sound: localStorage.getItem(SOUND_KEY) === "1",
    notify: localStorage.getItem(NOTIFY_KEY) === "1",
  };
  let audio = null;

  // Browsers let a page make sound only after the person has used it: the context is made (or
  // woken) on a click or a key, never before.
  function wakeAudio() {
    if (!prefs.sound) return null;
    const Context = window.AudioContext ?? window.webkitAudioContext;
    if (!Context) return null;
    audio ??= new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }
  const wakeOnce = () => wakeAudio();
  document.addEventListener("pointerdown", wakeOnce, { passive: true });
  document.addEventListener("keydown", wakeOnce);

  /** Two soft rising notes, about a third of a second. */
  function tone() {
    const context = wakeAudio();
    if (!context) return;
    const start = context.currentTime + 0.02;
    for (const [i, frequency] of [660, 880].entries()) {
      const at = start + i * 0.18;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.17);
    }
  }

  const supported = () => "Notification" in window;
  const notifying = () => prefs.notify && supported() && Notification.permission === "granted";

  function render() {
    $("alert-sound").checked = prefs.sound;
    const button = $("alert-notify");
    const line = $("alert-notify-state");
    if (!supported()) {
      button.hidden = true;
      line.textContent = t("alerts.notifyUnsupported");
      return;
    }
    button.hidden = false;
    if (Notification.permission === "denied") {
      button.textContent = t("alerts.notifyOn");
      line.textContent = t("alerts.notifyDenied");
    } else {
      button.textContent = t(notifying() ? "alerts.notifyOff" : "alerts.notifyOn");
      line.textContent = notifying() ? t("alerts.notifyActive") : "";
    }
    button.setAttribute("aria-pressed", String(notifying()));
  }

  $("alert-sound").addEventListener("change", () => {
    prefs.sound = $("alert-sound").checked;
    localStorage.setItem(SOUND_KEY, prefs.sound ? "1" : "0");
    if (prefs.sound) tone(); // so that one hears what it will sound like
  });
  $("alert-notify").addEventListener("click", async () => {
    if (notifying()) {
      prefs.notify = false;
    } else {
      const answer = Notification.permission === "granted" ? "granted"
        : await Notification.requestPermission();
      prefs.notify = answer === "granted";
    }
    localStorage.setItem(NOTIFY_KEY, prefs.notify ? "1" : "0");
    render();
  });

  // The inbox on a narrow screen: a sheet over the page, opened from the bar at the bottom.
  const inbox = $("inbox");
  const toggle = $("inbox-toggle");
  function setOpen(open, focus = true) {
    inbox.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open && focus) $("alerts-title").focus();
    else if (!open && focus) toggle.focus();
  }
  toggle.addEventListener("click", () => setOpen(!inbox.classList.contains("open")));
  $("inbox-close").addEventListener("click", () => setOpen(false));
  inbox.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && inbox.classList.contains("open")) {
      e.preventDefault();
      setOpen(false);
    }
  });

  // The header's height, for the column that sticks below it.
  const bar = document.querySelector("header.bar");
  const measure = () => document.documentElement.style.setProperty("--bar-height", `${bar.offsetHeight}px`);
  new ResizeObserver(measure).observe(bar);

  // The desktop notification on screen for each alert (by tag), to close once it is taken.
  const shown = new Map();

  render();
  return {
    relabel: render,
    /** Put the sheet away (on a narrow screen), e.g. when going to an alert's room. */
    closeInbox() { if (inbox.classList.contains("open")) setOpen(false, false); },
    /** Show the bar with the counts (once signed in). */
    show() { toggle.hidden = false; },
    /** The bar's text and colour: what is waiting. */
    counts({ alerts, others }) {
      toggle.textContent = t("inbox.toggle", { alerts, others });
      toggle.classList.toggle("active", alerts > 0);
    },
    /** A new alert: the tone and the notification, if chosen. */
    signal({ title, body, tag }) {
      if (prefs.sound) tone();
      if (notifying() && (document.hidden || !document.hasFocus())) {
        const notification = new Notification(title, { body, tag });
        shown.set(tag, notification);
        notification.addEventListener("click", () => { window.focus(); notification.close(); });
        notification.addEventListener("close", () => {
          if (shown.get(tag) === notification) shown.delete(tag);
        });
      }
    },
    /** The alert was taken (in this tab, another or by someone else): its notification goes,
     * so that nobody on this desk answers a call that is already being answered. */
    dismiss(tag) {
      const notification = shown.get(tag);
      if (!notification) return;
      shown.delete(tag);
      notification.close();
    },
  };
}
