// Analysis runs: for each run its verdict and, in plain words, why; for
// each metric its conditions, counts and a chart of its measurements.
import { h, replace } from './dom.js';
import { clock, plural } from './format.js';
import { badge } from './icons.js';
import { since } from './ticker.js';
import { metricChart, legend } from './chart.js';

const kindWords = {
  step: (step) => (step !== undefined ? `analysis of step ${Number(step) + 1}` : 'step analysis'),
  background: () => 'background analysis',
  prePromotion: () => 'before promotion',
  postPromotion: () => 'after promotion',
};

const whyWords = {
  Failed: 'Why it failed: ',
  Error: 'Why it could not measure: ',
  Inconclusive: 'Why it is inconclusive: ',
};

/** renderAnalysis lists the analysis runs, newest first. */
export function renderAnalysis(el, detail) {
  const runs = [...(detail.analysisRuns || [])].sort((a, b) =>
    String(b.metadata?.creationTimestamp || '').localeCompare(String(a.metadata?.creationTimestamp || '')));
  if (runs.length === 0) {
    replace(el, h('p', { class: 'muted' }, 'No analysis runs.'));
    return;
  }
  const revisions = new Map((detail.revisions || []).map((r) => [r.hash, r.revision]));
  const charts = [];
  replace(el, runs.map((run) => runCard(run, revisions, charts)));
  // Charts are drawn once their boxes are laid out, to the boxes' width.
  for (const { box, args } of charts) {
    const chart = metricChart({ ...args, width: Math.max(240, box.clientWidth) });
    if (chart) box.prepend(chart);
    else box.replaceWith(h('p', { class: 'muted' }, 'No measurements yet.'));
  }
}

function runCard(run, revisions, charts) {
  const st = run.status || {};
  const labels = run.metadata?.labels || {};
  const phase = st.phase || 'Pending';
  const kind = kindWords[labels['ramp.dev/analysis-kind']]?.(labels['ramp.dev/analysis-step']);
  const revision = revisions.get(labels['ramp.dev/pod-template-hash']);
  const specs = run.spec?.metrics || [];
  const results = new Map((st.metricResults || []).map((r) => [r.name, r]));
  const names = [...new Set([...specs.map((s) => s.name), ...results.keys()])];
  const meta = [
    kind,
    revision !== undefined ? `revision ${revision}` : '',
    st.startedAt ? ['started ', since(st.startedAt), ' ago'] : 'not started',
    st.completedAt ? `finished at ${clock(st.completedAt)}` : '',
  ].filter((p) => p && p.length);
  return h('article', { class: ['run', `run-${phase.toLowerCase()}`], 'data-run': run.metadata?.name },
    h('h3', {}, h('code', {}, run.metadata?.name), badge(phase)),
    h('p', { class: 'meta' }, meta.flatMap((p, i) => (i ? [' · ', p] : [p]))),
    st.message ? h('p', { class: ['reason', whyWords[phase] ? 'reason-bad' : ''] },
      h('strong', {}, whyWords[phase] || 'Status: '), st.message) : '',
    h('div', { class: 'metrics' }, names.map((name) => metricBlock(run, specs.find((s) => s.name === name), results.get(name), charts))));
}

function metricBlock(run, spec, res, charts) {
  const phase = res?.phase || 'Pending';
  const measurements = res?.measurements || [];
  const box = h('figure', { class: 'chart-box' }, legend());
  charts.push({
    box,
    args: { name: spec?.name || res?.name, measurements, successCondition: spec?.successCondition, failureCondition: spec?.failureCondition },
  });
  return h('section', { class: 'metric', 'aria-label': `Metric ${spec?.name || res?.name}` },
    h('h4', {}, spec?.name || res?.name, badge(phase), res?.dryRun ? h('span', { class: 'tag' }, 'dry run') : ''),
    conditions(spec),
    res ? h('p', { class: 'counts' }, counts(res)) : '',
    res?.message ? h('p', { class: 'metric-message' }, res.message) : '',
    box,
    measurements.length ? measurementTable(run, spec?.name || res?.name, measurements) : '',
    res?.verdict ? verdict(res.verdict) : '');
}

function conditions(spec) {
  if (!spec) return '';
  const parts = [];
  if (spec.successCondition) parts.push(['Passes when ', h('code', {}, spec.successCondition)]);
  if (spec.failureCondition) parts.push(['Fails when ', h('code', {}, spec.failureCondition)]);
  if (spec.failureLimit !== undefined && spec.failureLimit !== null) {
    parts.push(spec.failureLimit < 0 ? 'never fails the run' : `fails the run after ${plural(spec.failureLimit + 1, 'failed measurement')}`);
  }
  if (spec.interval) parts.push(`every ${spec.interval}`);
  if (spec.count) parts.push(`${spec.count} times`);
  return parts.length ? h('p', { class: 'conditions' }, parts.flatMap((p, i) => (i ? ['; ', p] : [p]))) : '';
}

function counts(res) {
  const words = [[res.successful, 'successful'], [res.failed, 'failed'], [res.inconclusive, 'inconclusive'], [res.error, '']]
    .filter(([n]) => n > 0).map(([n, w]) => (w ? `${n} ${w}` : plural(n, 'error')));
  return `${plural(res.count || 0, 'measurement')} taken${words.length ? `: ${words.join(', ')}` : ''}.`;
}

function measurementTable(run, metric, measurements) {
  return h('details', { 'data-key': `${run.metadata?.name}/${metric}` },
    h('summary', {}, `Measurements (the last ${measurements.length})`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'measurements' },
      h('thead', {}, h('tr', {}, ['Time', 'Value', 'Result', 'Message'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, [...measurements].reverse().map((m) => h('tr', {},
        h('td', { 'data-label': 'Time' }, clock(m.finishedAt || m.startedAt)),
        h('td', { 'data-label': 'Value' }, h('code', {}, m.value || '–')),
        h('td', { 'data-label': 'Result' }, badge(m.phase)),
        h('td', { 'data-label': 'Message', class: 'wrap' }, m.message || '')))))));
}

// verdict explains a judge's comparison of the canary with the stable version.
function verdict(v) {
  return h('div', { class: 'verdict' },
    h('p', {}, h('strong', {}, `Score ${v.score ?? 0} of 100`), v.compared ? ` · ${v.compared}` : ''),
    (v.metrics || []).length ? h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Compared metric', 'Result', 'Canary', 'Control', 'Why'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, v.metrics.map((m) => h('tr', {},
        h('td', { 'data-label': 'Metric' }, m.name, m.critical ? ' (critical)' : ''),
        h('td', { 'data-label': 'Result' }, m.classification),
        h('td', { 'data-label': 'Canary' }, m.canaryMedian || '–'),
        h('td', { 'data-label': 'Control' }, m.controlMedian || '–'),
        h('td', { 'data-label': 'Why', class: 'wrap' }, m.reason || '')))))) : '');
}
