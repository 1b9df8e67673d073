/** One server's curve: what it delivered, and how late, at each offered load. */
export type SweepSeries = {
  name: string;
  points: Array<{ offered: number; delivered: number; p99Ms: number; saturated: boolean }>;
};

const colors = ["#555555", "#1f77b4", "#d62728", "#2ca02c"];
const panel = { width: 360, height: 240, left: 58, right: 12, top: 28, bottom: 40 };

const esc = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const kilo = (value: number) => `${Math.round(value / 1000)}k`;

/**
 * Two panels side by side, as an SVG document: delivered/s against offered load (with the
 * ideal diagonal), and p99 latency against offered load on a log scale (with the 250 ms
 * limit). A point where the load generator could not keep its schedule is drawn hollow.
 */
export function sweepChart(series: SweepSeries[], limitMs: number, title: string): string {
  const offered = series.flatMap((s) => s.points.map((p) => p.offered));
  const maxX = Math.max(...offered, 1);
  const maxDelivered = Math.max(maxX, ...series.flatMap((s) => s.points.map((p) => p.delivered)));
  const maxP99 = Math.max(limitMs * 2, ...series.flatMap((s) => s.points.map((p) => p.p99Ms)));
  const logTop = 10 ** Math.ceil(Math.log10(maxP99));
  const innerW = panel.width - panel.left - panel.right;
  const innerH = panel.height - panel.top - panel.bottom;
  const x = (value: number) => panel.left + (value / maxX) * innerW;
  const yDelivered = (value: number) => panel.top + innerH - (value / maxDelivered) * innerH;
  const yLatency = (value: number) =>
    panel.top + innerH - (Math.log10(Math.max(value, 1)) / Math.log10(logTop)) * innerH;

  const xTicks = [...new Set(offered)].sort((a, b) => a - b);
  const axes = (title: string, yTicks: Array<{ at: number; label: string }>) => [
    `<text x="${panel.width / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${panel.left}" y1="${panel.top + innerH}" x2="${panel.left + innerW}" y2="${panel.top + innerH}" stroke="#000"/>`,
    `<line x1="${panel.left}" y1="${panel.top}" x2="${panel.left}" y2="${panel.top + innerH}" stroke="#000"/>`,
    ...xTicks.map(
      (t) =>
        `<text x="${x(t)}" y="${panel.top + innerH + 14}" text-anchor="middle">${kilo(t)}</text>`,
    ),
    `<text x="${panel.left + innerW / 2}" y="${panel.height - 6}" text-anchor="middle">offered deliveries/s</text>`,
    ...yTicks.map(
      ({ at, label }) =>
        `<line x1="${panel.left}" y1="${at}" x2="${panel.left + innerW}" y2="${at}" stroke="#ddd"/>` +
        `<text x="${panel.left - 4}" y="${at + 4}" text-anchor="end">${label}</text>`,
    ),
  ];
  const curve = (pick: (p: SweepSeries["points"][number]) => number, y: (v: number) => number) =>
    series.flatMap((s, index) => {
      const color = colors[index % colors.length];
      const points = s.points.map((p) => `${x(p.offered).toFixed(1)},${y(pick(p)).toFixed(1)}`);
      return [
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`,
        ...s.points.map(
          (p) =>
            `<circle cx="${x(p.offered).toFixed(1)}" cy="${y(pick(p)).toFixed(1)}" r="3.5" stroke="${color}" fill="${p.saturated ? "#fff" : color}"/>`,
        ),
      ];
    });

  const deliveredTicks = Array.from({ length: 5 }, (_, i) => (maxDelivered * i) / 4).map((v) => ({
    at: yDelivered(v),
    label: kilo(v),
  }));
  const latencyTicks = Array.from({ length: Math.log10(logTop) + 1 }, (_, i) => 10 ** i).map(
    (v) => ({ at: yLatency(v), label: v >= 1000 ? `${v / 1000} s` : `${v} ms` }),
  );

  const left = [
    ...axes("delivered/s", deliveredTicks),
    `<line x1="${x(0)}" y1="${yDelivered(0)}" x2="${x(maxX)}" y2="${yDelivered(maxX)}" stroke="#999" stroke-dasharray="4 3"/>`,
    ...curve((p) => p.delivered, yDelivered),
  ];
  const right = [
    ...axes("p99 send→receive", latencyTicks),
    `<line x1="${panel.left}" y1="${yLatency(limitMs)}" x2="${panel.left + innerW}" y2="${yLatency(limitMs)}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${panel.left + innerW}" y="${yLatency(limitMs) - 4}" text-anchor="end" fill="#666">${limitMs} ms</text>`,
    ...curve((p) => p.p99Ms, yLatency),
  ];
  const legend = series.map(
    (s, index) =>
      `<rect x="${20 + index * 200}" y="${panel.height + 8}" width="12" height="12" fill="${colors[index % colors.length]}"/>` +
      `<text x="${38 + index * 200}" y="${panel.height + 18}">${esc(s.name)}</text>`,
  );
  const width = panel.width * 2;
  const height = panel.height + 50;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<g>${left.join("")}</g>`,
    `<g transform="translate(${panel.width} 0)">${right.join("")}</g>`,
    ...legend,
    `<text x="${width - 10}" y="${panel.height + 40}" text-anchor="end" fill="#666">hollow: the load generator fell behind its schedule</text>`,
    "</svg>",
    "",
  ].join("\n");
}
