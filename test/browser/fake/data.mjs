// Canned rollouts for the fake dashboard server, shaped as the dashboard's
// HTTP contract says (RolloutSummary, RolloutDetail). Each rollout is a
// small model (steps, current step, revisions, abort, pause) that the
// actions change; the JSON is derived from the model on every request.

const start = Date.now();
const at = (secondsAgo) => new Date(Date.now() - secondsAgo * 1000).toISOString();
const fixed = (secondsBeforeStart) => new Date(start - secondsBeforeStart * 1000).toISOString();
const day = 86400;

const errorRate = { name: 'error-rate', interval: '30s', successCondition: 'result[0] < 0.05', failureLimit: 1 };

const canarySteps = [
  { setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { analysis: { templates: [{ templateName: 'error-rate' }] } },
  { pause: { duration: '5m' } }, { setWeight: 100 },
];

/** models are the rollouts the fake serves, keyed "namespace/name". */
export const models = new Map([
  model({
    namespace: 'shop', name: 'web', strategy: 'canary', replicas: 4, created: fixed(30 * day), steps: canarySteps, stepIndex: 1,
    revisions: [[1, '4f6a7b8c9', 'ghcr.io/acme/web:1.9', 9 * day], [2, '5b8d6c4f9', 'ghcr.io/acme/web:2.0', 3 * day],
      [3, '7c9f5d8b6', 'ghcr.io/acme/web:3.0', 600]],
    runs: [webBackground(), webOldRun()],
  }),
  model({
    namespace: 'shop', name: 'search', strategy: 'canary', replicas: 3, created: fixed(90 * day), stepIndex: 0, abort: true,
    abortedBy: 'analysis run search-8d7c6b5a4-1 failed',
    steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: 'error-rate' }] } }, { setWeight: 50 }, { pause: {} }],
    revisions: [[7, '3e2d1c0b9', 'ghcr.io/acme/search:2.3', 15 * day], [8, '8d7c6b5a4', 'ghcr.io/acme/search:2.4', 240]],
    runs: [searchFailedRun()],
  }),
  model({
    namespace: 'shop', name: 'catalog', strategy: 'canary', replicas: 3, created: fixed(60 * day), stepIndex: 3,
    steps: [{ setWeight: 25 }, { pause: { duration: '2m' } }, { setWeight: 100 }],
    revisions: [[4, '2a1b3c4d5', 'ghcr.io/acme/catalog:1.4', 20 * day], [5, '9f8e7d6c5', 'ghcr.io/acme/catalog:1.5', 2 * day]],
    runs: [],
  }),
  model({
    namespace: 'payments', name: 'checkout', strategy: 'blueGreen', replicas: 2, created: fixed(12 * day), stepIndex: 0,
    steps: [], bluePaused: true,
    revisions: [[10, '6b5a4c3d2', 'ghcr.io/acme/checkout:5.1', 12 * day], [11, '1c2d3e4f5', 'ghcr.io/acme/checkout:5.2', 900]],
    runs: [checkoutPrePromotion()],
  }),
].map((m) => [`${m.namespace}/${m.name}`, m]));

function model(m) {
  return {
    paused: false, abort: false, abortedBy: '', since: fixed(120), events: [], ...m,
    revisions: m.revisions.map(([revision, hash, image, age]) => ({ revision, hash, image, created: fixed(age) })),
  };
}

/** describe is a step as the dashboard shows it. */
export function describe(step) {
  if (step.setWeight !== undefined) return `setWeight ${step.setWeight}`;
  if (step.pause) return step.pause.duration ? `pause ${step.pause.duration}` : 'pause';
  if (step.analysis) return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
  return 'step';
}

const done = (m) => (m.strategy === 'canary' ? m.stepIndex >= m.steps.length : !m.bluePaused);

/** phase derives the rollout's phase and pause reason from its model. */
export function phase(m) {
  if (m.abort) return { phase: 'Degraded' };
  if (m.paused) return { phase: 'Paused' };
  if (m.strategy === 'blueGreen') return m.bluePaused ? { phase: 'Paused', reason: 'BlueGreenPause' } : { phase: 'Healthy' };
  if (done(m)) return { phase: 'Healthy' };
  if (m.steps[m.stepIndex].pause) return { phase: 'Paused', reason: 'CanaryPauseStep' };
  return { phase: 'Progressing' };
}

function weight(m) {
  if (m.strategy !== 'canary') return null;
  if (m.abort) return 0;
  if (done(m)) return 100;
  let w = 0;
  for (let i = 0; i <= m.stepIndex && i < m.steps.length; i++) w = m.steps[i].setWeight ?? w;
  return w;
}

// roles: the newest revision is the update (canary or preview) until it is
// done; the one before it is stable (or active).
function roleOf(m, i) {
  const newest = m.revisions.length - 1;
  const [stable, update] = m.strategy === 'canary' ? ['stable', 'canary'] : ['active', 'preview'];
  if (done(m) && !m.abort) return i === newest ? stable : 'old';
  if (i === newest) return update;
  return i === newest - 1 ? stable : 'old';
}

function replicasOf(m, i) {
  const role = roleOf(m, i);
  if (role === 'stable' || role === 'active') return m.replicas;
  if (role === 'preview') return m.replicas;
  if (role === 'canary') return m.abort ? 0 : Math.ceil((m.replicas * weight(m)) / 100);
  return 0;
}

function message(m) {
  const p = phase(m);
  const newest = m.revisions[m.revisions.length - 1];
  const step = `${Math.min(m.stepIndex + 1, m.steps.length)}/${m.steps.length}`;
  if (p.phase === 'Degraded') {
    return `Update to revision ${newest.revision} (${newest.hash}) aborted by ${m.abortedBy || 'kubectl ramp abort'}: back on the stable revision; run kubectl ramp retry ${m.name} to start it again`;
  }
  if (m.paused) return `Paused by a person at step ${step}; run kubectl ramp resume ${m.name} to go on`;
  if (p.reason === 'BlueGreenPause') return `Preview revision ${newest.revision} is ready; waiting for kubectl ramp promote ${m.name}`;
  if (p.reason) return `Paused at step ${step} (${describe(m.steps[m.stepIndex])}); run kubectl ramp promote ${m.name} to go on`;
  if (p.phase === 'Healthy') return `Revision ${newest.revision} is stable: ${m.replicas}/${m.replicas} pods available`;
  return `Updating to revision ${newest.revision} (${newest.hash}) at step ${step} (${describe(m.steps[m.stepIndex])})`;
}

/** summary is the RolloutSummary of a model. */
export function summary(m) {
  const w = weight(m);
  return {
    namespace: m.namespace, name: m.name, strategy: m.strategy, phase: phase(m).phase, message: message(m),
    step: m.strategy === 'canary' ? `${m.abort ? 0 : Math.min(m.stepIndex + 1, m.steps.length)}/${m.steps.length}` : '',
    setWeight: w, actualWeight: w,
    images: m.revisions.map((r, i) => ({ image: r.image, role: roleOf(m, i) })).filter((x) => x.role !== 'old').reverse(),
    ready: m.revisions.reduce((n, r, i) => n + replicasOf(m, i), 0), desired: m.replicas, created: m.created,
  };
}

/** detail is the RolloutDetail of a model. */
export function detail(m) {
  const p = phase(m);
  const revisions = m.revisions.map((r, i) => revisionJSON(m, r, i)).reverse();
  return {
    rollout: rolloutJSON(m, p),
    summary: summary(m),
    steps: m.strategy !== 'canary' ? [] : m.steps.map((s, i) => {
      const state = i < m.stepIndex && !m.abort ? 'done' : i === m.stepIndex && !m.abort && !done(m) ? 'current' : 'next';
      return {
        index: i, description: describe(s), state, pauseReason: state === 'current' && p.reason ? p.reason : '',
        since: state === 'current' ? m.since : null,
      };
    }),
    revisions,
    analysisRuns: m.runs,
    events: [...m.events].reverse().slice(0, 50),
  };
}

function rolloutJSON(m, p) {
  const newest = m.revisions[m.revisions.length - 1];
  const w = weight(m);
  return {
    apiVersion: 'ramp.dev/v1alpha1', kind: 'Rollout',
    metadata: { namespace: m.namespace, name: m.name, creationTimestamp: m.created, uid: `uid-${m.name}` },
    spec: { replicas: m.replicas, paused: m.paused, strategy: { [m.strategy]: m.strategy === 'canary' ? { steps: m.steps } : { activeService: `${m.name}-active`, previewService: `${m.name}-preview` } } },
    status: {
      phase: p.phase, message: message(m), currentPodHash: newest.hash, currentStepIndex: m.stepIndex, abort: m.abort,
      abortedBy: m.abort ? m.abortedBy : undefined,
      pauseConditions: p.reason ? [{ reason: p.reason, startTime: m.since }] : [],
      canary: w === null ? {} : { weights: { canary: { weight: w, podTemplateHash: newest.hash }, stable: { weight: 100 - w }, verified: true } },
      blueGreen: m.strategy === 'blueGreen' ? { activeSelector: m.revisions[m.revisions.length - (m.bluePaused ? 2 : 1)].hash, previewSelector: newest.hash } : {},
    },
  };
}

function revisionJSON(m, r, i) {
  const n = replicasOf(m, i);
  const name = `${m.name}-${r.hash}`;
  const pods = Array.from({ length: n }, (_, k) => podJSON(`${name}-${'x2y3zf4g5hj6k7'.slice(k * 2, k * 2 + 5)}`, r, k));
  if (m.abort && roleOf(m, i) === 'canary') pods.push({ ...podJSON(`${name}-q8r9s`, r, 2), metadata: { name: `${name}-q8r9s`, creationTimestamp: r.created, deletionTimestamp: at(5) } });
  return {
    revision: r.revision, hash: r.hash, role: roleOf(m, i),
    replicaSet: {
      metadata: { name, namespace: m.namespace, creationTimestamp: r.created, labels: { 'ramp.dev/pod-template-hash': r.hash }, annotations: { 'ramp.dev/revision': String(r.revision) } },
      spec: { replicas: n, template: { spec: { containers: [{ name: 'app', image: r.image }] } } },
      status: { replicas: pods.length, readyReplicas: n, availableReplicas: n },
    },
    pods,
  };
}

function podJSON(name, r, k) {
  return {
    metadata: { name, creationTimestamp: r.created },
    spec: { containers: [{ name: 'app', image: r.image }] },
    status: {
      phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: k === 1 ? 1 : 0, state: { running: { startedAt: r.created } } }],
    },
  };
}

// Analysis runs ------------------------------------------------------------

function measurement(value, secondsAgo, ok = value < 0.05) {
  return { phase: ok ? 'Successful' : 'Failed', value: String(value), startedAt: at(secondsAgo + 1), finishedAt: at(secondsAgo) };
}

function run(name, hash, kind, phaseWord, message, metrics, results, started) {
  return {
    apiVersion: 'ramp.dev/v1alpha1', kind: 'AnalysisRun',
    metadata: { name, creationTimestamp: started, labels: { 'ramp.dev/pod-template-hash': hash, 'ramp.dev/analysis-kind': kind } },
    spec: { metrics },
    status: { phase: phaseWord, message, startedAt: started, metricResults: results },
  };
}


function webBackground() {
  const values = [0.011, 0.018, 0.014, 0.022, 0.019, 0.026];
  const ms = values.map((v, i) => measurement(v, (values.length - i) * 30));
  return run('web-7c9f5d8b6-background', '7c9f5d8b6', 'background', 'Running', '', [errorRate,
    { name: 'p99-latency', interval: '30s', failureCondition: 'result[0] > 0.5' }], [
    { name: 'error-rate', phase: 'Running', measurements: ms, count: ms.length, successful: ms.length },
    { name: 'p99-latency', phase: 'Running', measurements: [0.21, 0.24, 0.23, 0.31, 0.27, 0.25].map((v, i) => measurement(v, (6 - i) * 30, v <= 0.5)), count: 6, successful: 6 },
  ], at(200));
}

/** addMeasurement appends a new error-rate value to web's background run. */
export function addMeasurement() {
  const res = models.get('shop/web').runs[0].status.metricResults[0];
  const v = Number((0.01 + Math.random() * 0.025).toFixed(3));
  res.measurements = [...res.measurements, measurement(v, 0)].slice(-10);
  res.count += 1;
  res.successful += 1;
}

function webOldRun() {
  const ms = [0.01, 0.02, 0.01].map((v, i) => measurement(v, 3 * day - i * 30));
  const r = run('web-5b8d6c4f9-4', '5b8d6c4f9', 'step', 'Successful', 'All metrics passed: error-rate 0.01 (result[0] < 0.05)',
    [{ ...errorRate, count: 3 }], [{ name: 'error-rate', phase: 'Successful', measurements: ms, count: 3, successful: 3 }], at(3 * day + 100));
  r.metadata.labels['ramp.dev/analysis-step'] = '3';
  r.status.completedAt = at(3 * day - 60);
  return r;
}

function searchFailedRun() {
  const values = [0.012, 0.02, 0.061, 0.31, 0.29];
  const ms = values.map((v, i) => measurement(v, 60 + (values.length - i) * 30));
  ms.splice(2, 0, { phase: 'Error', message: 'Prometheus query timed out after 10s', startedAt: at(185), finishedAt: at(175) });
  const r = run('search-8d7c6b5a4-1', '8d7c6b5a4', 'step', 'Failed',
    'Metric error-rate failed: 0.29 does not meet result[0] < 0.05, 3 failed measurements are more than the failure limit of 1; metric judge failed: score 60',
    [{ ...errorRate, count: 10 }, { name: 'judge' }],
    [{ name: 'error-rate', phase: 'Failed', message: '0.29 does not meet result[0] < 0.05', measurements: ms, count: 6, successful: 2, failed: 3, error: 1 },
      searchJudge()],
    at(240));
  r.metadata.labels['ramp.dev/analysis-step'] = '1';
  r.status.completedAt = at(60);
  return r;
}

// searchJudge is a failed judge metric: the canary's latency (critical) is
// higher than the stable's, its error ratio passes.
function searchJudge() {
  const compared = 'canary 8d7c6b5a4 with stable 3e2d1c0b9';
  return {
    name: 'judge', phase: 'Failed', count: 1, failed: 1,
    message: `judge score 60 (${compared}): latency-p99 High`,
    measurements: [{ phase: 'Failed', value: '60', startedAt: at(130), finishedAt: at(70) }],
    verdict: {
      score: 60, compared,
      metrics: [
        { name: 'latency-p99', group: 'latency', classification: 'High', critical: true, canaryMedian: '0.031', controlMedian: '0.024',
          estimate: '0.0071', interval: '[0.0052, 0.0093]', pValue: '0.0004', effectSize: '+29.4%',
          reason: 'the canary is 29.4% slower than stable, more than the 10% allowed, and the whole interval is above zero' },
        { name: 'error-ratio', group: 'errors', classification: 'Pass', canaryMedian: '0.0042', controlMedian: '0.0041',
          estimate: '1e-04', interval: '[-0.0006, 0.0008]', pValue: '0.77', effectSize: '+2.4%' },
      ],
    },
  };
}

function checkoutPrePromotion() {
  const r = run('checkout-1c2d3e4f5-pre', '1c2d3e4f5', 'prePromotion', 'Successful', 'All metrics passed: judge score 92 of 100',
    [{ name: 'judge', successCondition: 'result[0] >= 75' }],
    [{
      name: 'judge', phase: 'Successful', count: 1, successful: 1, measurements: [{ phase: 'Successful', value: '92', startedAt: at(700), finishedAt: at(640) }],
      verdict: {
        score: 92, compared: 'preview 1c2d3e4f5 against active 6b5a4c3d2',
        metrics: [{ name: 'latency-p99', classification: 'Pass', canaryMedian: '0.21', controlMedian: '0.22', reason: 'No significant change' },
          { name: 'error-ratio', classification: 'Pass', critical: true, canaryMedian: '0.004', controlMedian: '0.005', reason: 'No significant change' }],
      },
    }], at(720));
  r.status.completedAt = at(640);
  return r;
}

/** event records an event on a model, newest last. */
export function event(m, type, reason, msg) {
  m.events.push({ type, reason, message: msg, time: new Date().toISOString() });
}

for (const m of models.values()) {
  event(m, 'Normal', 'RolloutUpdated', `Rollout updated to revision ${m.revisions[m.revisions.length - 1].revision}`);
  m.events[0].time = fixed(600);
}
event(models.get('shop/web'), 'Normal', 'RolloutStepCompleted', 'Step 1/6 (setWeight 20) completed');
event(models.get('shop/search'), 'Warning', 'AnalysisRunFailed', 'Analysis run search-8d7c6b5a4-1 failed: error-rate 0.29 does not meet result[0] < 0.05');
event(models.get('shop/search'), 'Warning', 'RolloutAborted', 'Update aborted: traffic back on the stable revision 7');
