// The on-screen keyboard of a phone. Where the browser shrinks only what is seen, not the page
// (iOS Safari; Chrome on Android before it honoured interactive-widget in the viewport meta),
// --keyboard is the height the keyboard covers and the page's CSS fits what must stay in view
// above it, as if the browser had shrunk the page. Not while pinch-zoomed, and not for a few
// pixels (a desktop scrollbar). Used by the room page (app.js) and the staff console (staff.js).
const KEYBOARD_MIN_PX = 100;

/** Follow the keyboard: sets --keyboard and body.keyboard-open, then calls fit(keyboard px, 0
 * when closed) once the page is laid out for it. */
export function followKeyboard(fit) {
  const seen = window.visualViewport;
  if (!seen) return;
  seen.addEventListener("resize", () => {
    const covered = seen.scale < 1.01 ? Math.round(window.innerHeight - seen.height) : 0;
    const keyboard = covered >= KEYBOARD_MIN_PX ? covered : 0;
    document.documentElement.style.setProperty("--keyboard", `${keyboard}px`);
    document.body.classList.toggle("keyboard-open", keyboard > 0);
    fit(keyboard);
  });
}
