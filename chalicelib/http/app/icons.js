// Category pictures: small inline SVGs (24x24 strokes) made with DOM calls, no markup strings.
const P = {
  air_conditioning: "M3 5h18v7H3zM6 15v3M10 15v5M14 15v5M18 15v3",
  security: "M12 2l8 4v6c0 5-3.5 8.5-8 10-4.5-1.5-8-5-8-10V6z",
  cleaning: "M14 3l-3 9M6 12h10l2 9H4zM9 16v5M13 16v5",
  noise_renovation: "M4 9v6h4l5 4V5L8 9zM17 8c1.5 1 1.5 7 0 8M20 5c3 3 3 11 0 14",
  public_facility: "M12 3l9 5H3zM5 10v8M10 10v8M14 10v8M19 10v8M3 21h18",
  in_unit_repair: "M14 6a4 4 0 0 0 5 5l-9 9-3-3 9-9M3 3l5 5",
  parking: "M6 21V3h7a5 5 0 0 1 0 10H6",
  pest: "M12 7a3 3 0 0 1 3 3v5a3 3 0 0 1-6 0v-5a3 3 0 0 1 3-3zM9 11H4M15 11h5M9 15H5M15 15h4M10 4l2 3 2-3",
  mail_parcel: "M3 7l9-4 9 4v10l-9 4-9-4zM3 7l9 4 9-4M12 11v10",
  landscaping: "M12 21v-8M12 13c-5 0-7-4-7-8 4 0 7 3 7 8zM12 13c4 0 7-3 7-7-4 0-7 3-7 7",
  service_attitude: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8 14c2 2 6 2 8 0M9 9h.01M15 9h.01",
  billing: "M6 3h12v18l-3-2-3 2-3-2-3 2zM9 8h6M9 12h6M9 16h3",
  other: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8 12h.01M12 12h.01M16 12h.01",
};

export function icon(category) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "36", height: "36", fill: "none",
    stroke: "currentColor", "stroke-width": "1.8", "stroke-linecap": "round", "stroke-linejoin": "round",
    "aria-hidden": "true", focusable: "false" })) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", P[category] || P.other);
  svg.append(path);
  return svg;
}
