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
