// Horizontal bar charts as inline SVG, built with createElementNS (no innerHTML).
// Each bar carries a <title>: hovering shows the number.
const NS = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// rows: [{label, value, shown?}], value >= 0; max: scale (default the largest value)
export function barChart(rows, { max, width = 380, unit = "", valueW = 44 } = {}) {
  const barH = 18, gap = 6, labelW = 110;
  const height = Math.max(1, rows.length) * (barH + gap) + gap;
  const top = max ?? Math.max(1, ...rows.map((r) => r.value || 0));
  const svg = el("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  const span = width - labelW - valueW;
  rows.forEach((row, i) => {
    const y = gap + i * (barH + gap);
    const value = Number(row.value) || 0;
    const w = top > 0 ? Math.max(value > 0 ? 2 : 0, (value / top) * span) : 0;
    svg.append(el("text", { x: labelW - 6, y: y + barH - 5, "text-anchor": "end" }, row.label));
    const g = el("g", { class: "bar-group" });
    g.append(el("rect", { x: labelW, y, width: span, height: barH, fill: "#eef2f8" }));
    const bar = el("rect", { class: "bar", x: labelW, y, width: w.toFixed(1), height: barH });
    const shown = row.shown ?? `${value}${unit}`;
    bar.append(el("title", {}, `${row.label}: ${row.detail ?? shown}`));
    g.append(bar);
    g.append(el("text", { x: labelW + span + 4, y: y + barH - 5 }, shown));
    svg.append(g);
  });
  return svg;
}
