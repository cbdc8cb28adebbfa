// Line charts as plain SVG, written by the bench itself: no chart library, no network.
'use strict';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLOURS = ['#1f77b4', '#2ca02c', '#d62728', '#7f7f7f', '#9467bd', '#ff7f0e'];

/** Round tick steps (1, 2, 5 × 10^n) up to just above max. */
function ticks(max, count = 5) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = 0; v <= max + step * 0.001; v += step) out.push(Number(v.toPrecision(12)));
  if (out.at(-1) < max) out.push(Number((out.at(-1) + step).toPrecision(12)));
  return out;
}

const fmt = (v) => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(v));

/**
 * A line chart over categories (the concurrency levels, evenly spaced).
 * series: [{ name, points: [[x, y]], dashed? }]; a point with a non-finite y is left out.
 */
function lineChart({ title, xLabel, yLabel, xs, series, width = 720, height = 380 }) {
  const m = { left: 72, right: 250, top: 40, bottom: 56 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const yTicks = ticks(Math.max(...ys, 0) * 1.05);
  const yMax = yTicks.at(-1);
  const px = (x) => m.left + (xs.length === 1 ? w / 2 : (xs.indexOf(x) / (xs.length - 1)) * w);
  const py = (y) => m.top + h - (y / yMax) * h;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${m.left + w / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of yTicks) {
    out.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${py(t) + 4}" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  for (const x of xs) out.push(`<text x="${px(x)}" y="${m.top + h + 18}" text-anchor="middle">${esc(x)}</text>`);
  out.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#333"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="#333"/>`);
  out.push(`<text x="${m.left + w / 2}" y="${height - 14}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = s.points.filter((p) => Number.isFinite(p[1]) && xs.includes(p[0]));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3.5" fill="${colour}"><title>${esc(`${s.name}: ${p[1]}`)}</title></circle>`);
    const ly = m.top + 10 + i * 20;
    out.push(`<line x1="${m.left + w + 16}" x2="${m.left + w + 40}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${m.left + w + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}

module.exports = { lineChart, ticks };
