// The funder's report's plots, as inline SVG built here (no library, no request): horizontal
// bars with their numbers written beside them, and the mean change on a -4…+4 line with its
// 95 % confidence interval. Decorative for screen readers (aria-hidden): the page gives the
// same numbers as tables. Readable in black and white: one series hatched, the other solid,
// and every number written out. On a narrow screen (`compact`) each row's label goes above
// its bars, so that the text stays large enough to read on a phone.
const SVG = "http://www.w3.org/2000/svg";
const WIDE = { width: 640, label: 200, bar: 360 };
const NARROW = { width: 400, label: 0, bar: 330 };
let charts = 0;

/** Whether the plots are drawn for a narrow screen (the report re-renders on a change). */
export const compact = matchMedia("(max-width: 600px)");

function node(tag, attrs = {}, text) {
  const n = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined) n.setAttribute(name, String(value));
  }
  if (text !== undefined) n.textContent = text;
  return n;
}

function svgOf(width, height, className) {
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true",
    focusable: "false", class: `plot ${className}` });
  charts += 1;
  const id = `hatch-${charts}`;
  const pattern = node("pattern", { id, width: 6, height: 6, patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(45)" });
  pattern.append(node("rect", { width: 6, height: 6, class: "hatch-bg" }),
    node("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" }));
  const defs = node("defs");
  defs.append(pattern);
  svg.append(defs);
  return { svg, hatch: `url(#${id})` };
}

/**
 * Bars for rows of labelled values, one bar per series in each row.
 * rows: [{label, values: [number | null, …], texts: [string, …]}], series: [{name, style}]
 * where style is "solid" or "hatched"; a null value draws no bar (its text says why).
 * max: the value of the longest bar.
 */
export function barChart(rows, series, max) {
  const narrow = compact.matches;
  const { width, label, bar } = narrow ? NARROW : WIDE;
  const perSeries = 20;
  const heading = narrow ? 20 : 0; // the label's own line above the bars
  const rowHeight = heading + series.length * perSeries + 14;
  const legend = series.length > 1 ? 34 : 0;
  const height = rows.length * rowHeight + legend + 6;
  const { svg, hatch } = svgOf(width, height, "bars-plot");
  const fill = (style) => (style === "hatched" ? hatch : undefined);
  rows.forEach((row, i) => {
    const top = 6 + i * rowHeight + heading;
    svg.append(narrow
      ? node("text", { x: 0, y: top - 6, class: "plot-label" }, row.label)
      : node("text", { x: label - 10, y: top + (series.length * perSeries) / 2 + 5,
        "text-anchor": "end", class: "plot-label" }, row.label));
    const x0 = label + (narrow ? 1 : 0);
    series.forEach((s, k) => {
      const y = top + k * perSeries;
      const value = row.values[k];
      const length = value ? Math.max(2, (bar * value) / Math.max(1, max)) : 0;
      if (length) {
        svg.append(node("rect", { x: x0, y, width: length, height: perSeries - 4,
          class: `plot-bar ${s.style}`, fill: fill(s.style) }));
      }
      svg.append(node("text", { x: x0 + length + 6, y: y + perSeries - 8, class: "plot-value" },
        row.texts[k]));
    });
    svg.append(node("line", { x1: x0, x2: x0, y1: top - 3, y2: top + series.length * perSeries,
      class: "plot-axis" }));
  });
  if (legend) {
    let x = label;
    const y = height - legend + 12;
    for (const s of series) {
      svg.append(node("rect", { x, y, width: 18, height: 14, class: `plot-bar ${s.style}`,
        fill: fill(s.style) }),
      node("text", { x: x + 24, y: y + 12, class: "plot-label" }, s.name));
      x += 60 + s.name.length * 8;
    }
  }
  return svg;
}

/** The mean change as a dot on a -4…+4 line, its 95 % interval as a bar with ends;
 * `format` writes a number as the page does. */
export function intervalChart(mean, low, high, format) {
  const { width } = compact.matches ? NARROW : WIDE;
  const height = 96;
  const { svg } = svgOf(width, height, "interval-plot");
  const left = 24;
  const right = width - 24;
  const x = (v) => left + ((Math.max(-4, Math.min(4, v)) + 4) / 8) * (right - left);
  const axisY = 70;
  svg.append(node("line", { x1: left, x2: right, y1: axisY, y2: axisY, class: "plot-axis" }));
  for (let v = -4; v <= 4; v += 1) {
    svg.append(node("line", { x1: x(v), x2: x(v), y1: axisY - 4, y2: axisY + 4, class: "plot-axis" }),
      node("text", { x: x(v), y: axisY + 20, "text-anchor": "middle", class: "plot-tick" },
        format(v)));
  }
  svg.append(node("line", { x1: x(0), x2: x(0), y1: 8, y2: axisY, class: "plot-zero" }));
  const y = 40;
  svg.append(node("line", { x1: x(low), x2: x(high), y1: y, y2: y, class: "plot-interval" }),
    node("line", { x1: x(low), x2: x(low), y1: y - 9, y2: y + 9, class: "plot-interval" }),
    node("line", { x1: x(high), x2: x(high), y1: y - 9, y2: y + 9, class: "plot-interval" }),
    node("circle", { cx: x(mean), cy: y, r: 7, class: "plot-mean" }),
    node("text", { x: x(mean), y: y - 14, "text-anchor": "middle", class: "plot-value" },
      format(mean)));
  return svg;
}
