// Analysis runs: for each run its verdict and, in plain words, why; for
// each metric its conditions, counts and a chart of its measurements; for
// a judge metric, its latest verdict metric by metric.
import { h, replace } from './dom.js';
import { clock, plural, tone, verdictTone, shiftText, scoreText } from './format.js';
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
  return h('section', { class: ['metric', res?.verdict ? 'has-verdict' : ''], 'aria-label': `Metric ${spec?.name || res?.name}` },
    h('h4', {}, spec?.name || res?.name, badge(phase), res?.dryRun ? h('span', { class: 'tag' }, 'dry run') : ''),
    conditions(spec),
    res ? h('p', { class: 'counts' }, counts(res)) : '',
    res?.message ? h('p', { class: 'metric-message' }, res.message) : '',
    res?.verdict ? verdict(res.verdict, phase) : '',
    box,
    measurements.length ? measurementTable(run, spec?.name || res?.name, measurements) : '');
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

const verdictColumns = ['Metric', 'Group', 'Class', 'Canary', 'Control', 'Shift [interval]', 'P', 'Effect'];

// verdict explains a judge's comparison of the canary with the stable (or
// baseline) version, as kubectl ramp get rollout does: the score, coloured
// by the metric's phase, what was compared, and one row per compared
// metric with its reason below it. Each metric is a <tbody> of its own
// (its row and its reason); a critical metric is marked with a star.
function verdict(v, phase) {
  const metrics = v.metrics || [];
  return h('div', { class: 'verdict' },
    h('p', { class: 'verdict-score' }, h('strong', {}, 'Judge: ', h('span', { class: `tone-${tone(phase)}` }, scoreText(v))),
      v.compared ? ` (${v.compared})` : ''),
    metrics.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'verdict-metrics' },
      h('thead', {}, h('tr', {}, verdictColumns.map((c) => h('th', { scope: 'col' }, c)))),
      metrics.map(verdictMetric))) : '',
    metrics.some((m) => m.critical) ? h('p', { class: 'verdict-legend' }, '* critical: fails the verdict on its own') : '');
}

function verdictMetric(m) {
  const cell = (label, text) => h('td', { 'data-label': label, class: 'num' }, text || '–');
  return h('tbody', { 'data-metric': m.name, 'data-class': m.classification },
    h('tr', { class: m.reason ? 'has-reason' : null },
      h('th', { scope: 'row', 'data-label': 'Metric' }, h('span', {}, m.name,
        m.critical ? [h('span', { 'aria-hidden': 'true' }, '*'), h('span', { class: 'visually-hidden' }, ' (critical)')] : '')),
      h('td', { 'data-label': 'Group' }, m.group || '–'),
      h('td', { 'data-label': 'Class' }, badge(m.classification || '–', verdictTone(m.classification))),
      cell('Canary', m.canaryMedian),
      cell('Control', m.controlMedian),
      cell('Shift [interval]', shiftText(m)),
      cell('P', m.pValue),
      cell('Effect', m.effectSize)),
    m.reason ? h('tr', { class: 'verdict-reason' },
      h('td', { colspan: verdictColumns.length, 'data-label': 'Why', class: 'wrap' }, m.reason)) : '');
}
