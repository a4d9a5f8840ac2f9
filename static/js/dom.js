// Small DOM helpers shared by the pages. Every user-provided text goes in as textContent.
export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label, onClick, className = "link") {
  const b = el("button", className, label);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

/** A labelled form control: <label>text <control></label>, for generated forms. */
export function field(labelText, control, className = "field") {
  const label = el("label", className);
  label.append(el("span", "", labelText), control);
  return label;
}

// A disclosure menu: a button that opens a list of actions, all by keyboard too (Enter or
// Space opens it, the arrows move, Esc closes it and returns to the button). One tab stop
// however many actions there are. `items`: [[label, run, attributes?]].
let openMenu = null;
let menuCount = 0;
function closeMenu(returnFocus) {
  if (!openMenu) return;
  const { toggle, list } = openMenu;
  list.hidden = true;
  toggle.setAttribute("aria-expanded", "false");
  openMenu = null;
  if (returnFocus) toggle.focus();
}

export function menu(toggleText, toggleLabel, items, { itemClass = "menu-item" } = {}) {
  const wrap = el("div", "menu-wrap");
  const list = el("ul", "menu");
  list.id = `menu-${++menuCount}`;
  list.hidden = true;
  const toggle = el("button", "menu-button", toggleText);
  toggle.type = "button";
  toggle.setAttribute("aria-label", toggleLabel);
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-controls", list.id);
  for (const [label, run, attributes = {}] of items) {
    const item = el("li");
    const b = button(label, () => { closeMenu(false); run(); }, itemClass);
    for (const [name, value] of Object.entries(attributes)) b.setAttribute(name, value);
    item.append(b);
    list.append(item);
  }
  toggle.addEventListener("click", () => {
    const wasOpen = openMenu?.toggle === toggle;
    closeMenu(false);
    if (wasOpen) return;
    list.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    openMenu = { toggle, list };
    list.querySelector("button").focus();
    list.scrollIntoView({ block: "nearest" });
  });
  list.addEventListener("keydown", (e) => {
    const buttons = [...list.querySelectorAll("button")];
    const at = buttons.indexOf(document.activeElement);
    if (e.key === "Escape") { e.preventDefault(); closeMenu(true); }
    else if (e.key === "ArrowDown") { e.preventDefault(); buttons[(at + 1) % buttons.length].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); buttons[(at - 1 + buttons.length) % buttons.length].focus(); }
    else if (e.key === "Home") { e.preventDefault(); buttons[0].focus(); }
    else if (e.key === "End") { e.preventDefault(); buttons.at(-1).focus(); }
  });
  wrap.addEventListener("focusout", (e) => {
    if (openMenu?.toggle === toggle && !wrap.contains(e.relatedTarget)) closeMenu(false);
  });
  wrap.append(toggle, list);
  return wrap;
}
