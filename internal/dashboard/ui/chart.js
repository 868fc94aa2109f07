// A metric's measurements over time as an SVG chart: one point per
// measurement (its shape and colour say how it was judged), a line through
// the values, and the condition's threshold when it is a simple
// comparison such as `result[0] < 0.05`.
import { svg, h } from './dom.js';
import { clock } from './format.js';

const number = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?';
const numberRe = new RegExp(number);
const result = 'result(?:\\[0\\])?';
const forward = new RegExp(`^\\s*${result}\\s*(<=|>=|<|>|==)\\s*(${number})\\s*$`);
const backward = new RegExp(`^\\s*(${number})\\s*(<=|>=|<|>|==)\\s*${result}\\s*$`);
const flipped = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==' };

/** parseValue is the first number in a measured value such as "0.012" or "[0.01,0.02]"; null if none. */
export function parseValue(text) {
  const m = numberRe.exec(String(text ?? ''));
  return m ? Number(m[0]) : null;
}

/** parseThreshold reads `result[0] < 0.05` (or `0.05 > result`) as {op: '<', value: 0.05}; null otherwise. */
export function parseThreshold(condition) {
  let m = forward.exec(condition || '');
  if (m) return { op: m[1], value: Number(m[2]) };
  m = backward.exec(condition || '');
  return m ? { op: flipped[m[2]], value: Number(m[1]) } : null;
}

const opWords = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '==': '=' };

/** fmt shows a number with at most 4 significant digits. */
export const fmt = (v) => String(Number(v.toPrecision(4)));

// niceTicks are round values covering lo..hi, about n steps apart.
function niceTicks(lo, hi, n) {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const ticks = [];
  for (let v = Math.floor(lo / step) * step; v <= Math.ceil(hi / step) * step + step / 2; v += step) {
    ticks.push(Number(v.toFixed(12)));
  }
  return ticks;
}

/** marker is the shape of a measurement's phase, centred on x, y. */
export function marker(phase, x, y) {
  switch (phase) {
    case 'Successful':
      return svg('circle', { class: 'pt pt-good', cx: x, cy: y, r: 4 });
    case 'Failed':
      return svg('path', { class: 'pt pt-bad', d: `M${x} ${y - 5.5}L${x + 5.5} ${y}L${x} ${y + 5.5}L${x - 5.5} ${y}Z` });
    case 'Inconclusive':
      return svg('path', { class: 'pt pt-warn', d: `M${x} ${y - 5}L${x + 5} ${y + 4}L${x - 5} ${y + 4}Z` });
    case 'Error':
      return svg('path', { class: 'pt pt-error', d: `M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x + 4} ${y - 4}L${x - 4} ${y + 4}` });
  }
  return svg('circle', { class: 'pt pt-busy', cx: x, cy: y, r: 4 });
}

/** legend explains the markers. */
export function legend() {
  const items = [['Successful', 'passed'], ['Failed', 'failed'], ['Inconclusive', 'inconclusive'], ['Error', 'error (no value)'], ['Running', 'running']];
  return h('ul', { class: 'legend', 'aria-hidden': 'true' }, items.map(([phase, word]) =>
    h('li', {}, svg('svg', { width: 14, height: 14, viewBox: '0 0 14 14', class: 'chart' }, marker(phase, 7, 7)), word)));
}

// thresholds are the conditions that can be drawn as a line.
function thresholds(successCondition, failureCondition) {
  const out = [];
  const s = parseThreshold(successCondition);
  if (s) out.push({ ...s, kind: 'success', text: `passes when ${opWords[s.op]} ${fmt(s.value)}`, failAbove: s.op[0] === '<' });
  const f = parseThreshold(failureCondition);
  if (f) out.push({ ...f, kind: 'failure', text: `fails when ${opWords[f.op]} ${fmt(f.value)}`, failAbove: f.op[0] === '>' });
  return out;
}

/**
 * metricChart draws measurements [{phase, value, startedAt, finishedAt,
 * message}] width pixels wide; null when none has a time.
 */
export function metricChart({ name, measurements, successCondition, failureCondition, width }) {
  const W = Math.round(width);
  const H = 190;
  const m = { l: 56, r: 14, t: 14, b: 34 };
  const pts = (measurements || [])
    .map((x) => ({ t: Date.parse(x.finishedAt || x.startedAt), v: parseValue(x.value), x }))
    .filter((p) => !Number.isNaN(p.t))
    .sort((a, b) => a.t - b.t);
  if (pts.length === 0) return null;
  const lines = thresholds(successCondition, failureCondition);

  const values = pts.filter((p) => p.v !== null).map((p) => p.v).concat(lines.map((l) => l.value));
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi === lo) hi = lo + 1;
  const ticks = niceTicks(lo, hi + (hi - lo) * 0.08, 4);
  [lo, hi] = [ticks[0], ticks[ticks.length - 1]];
  let [t0, t1] = [pts[0].t, pts[pts.length - 1].t];
  if (t0 === t1) [t0, t1] = [t0 - 30000, t1 + 30000];
  const x = (t) => m.l + ((t - t0) / (t1 - t0)) * (W - m.l - m.r);
  const y = (v) => m.t + ((hi - v) / (hi - lo)) * (H - m.t - m.b);
  const base = H - m.b;

  const parts = [];
  for (const l of lines) {
    if (l.op === '==') continue;
    const ly = y(l.value);
    parts.push(svg('rect', { class: 'zone-fail', x: m.l, width: W - m.l - m.r, y: l.failAbove ? m.t : ly, height: l.failAbove ? ly - m.t : base - ly }));
  }
  for (const t of ticks) {
    parts.push(svg('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: y(t), y2: y(t) }));
    parts.push(svg('text', { class: 'tick', x: m.l - 6, y: y(t) + 4, 'text-anchor': 'end' }, fmt(t)));
  }
  parts.push(svg('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: base, y2: base }));
  const times = W > 420 ? [t0, (t0 + t1) / 2, t1] : [t0, t1];
  times.forEach((t, i) => parts.push(svg('text', {
    class: 'tick', x: x(t), y: H - 12, 'text-anchor': i === 0 ? 'start' : i === times.length - 1 ? 'end' : 'middle',
  }, clock(t))));
  for (const l of lines) {
    const ly = y(l.value);
    parts.push(svg('line', { class: ['threshold', `threshold-${l.kind}`], x1: m.l, x2: W - m.r, y1: ly, y2: ly }));
    parts.push(svg('text', { class: 'threshold-label', x: W - m.r - 4, y: ly - 5, 'text-anchor': 'end' }, l.text));
  }
  const valued = pts.filter((p) => p.v !== null);
  if (valued.length > 1) {
    parts.push(svg('polyline', { class: 'series', points: valued.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ') }));
  }
  for (const p of pts) {
    const px = x(p.t);
    const py = p.v === null ? base : y(p.v);
    const tip = `${clock(p.t)}: ${p.v === null ? 'no value' : p.x.value} (${p.x.phase})${p.x.message ? ` ${p.x.message}` : ''}`;
    parts.push(svg('g', {}, svg('title', {}, tip), marker(p.x.phase, px, py)));
  }

  const last = pts[pts.length - 1];
  const label = `${name}: ${pts.length} measurement${pts.length === 1 ? '' : 's'} from ${clock(t0)} to ${clock(t1)}; `
    + `latest ${last.v === null ? 'without a value' : last.x.value} (${last.x.phase})`
    + (lines.length ? `; ${lines.map((l) => l.text).join(', ')}` : '');
  return svg('svg', { class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label }, parts);
}
