// The step plan as a timeline, and the traffic weights as bars.
import { h, svg, replace } from './dom.js';
import { pauseReasonWords, percent } from './format.js';
import { icon } from './icons.js';
import { since } from './ticker.js';

const stateWords = { done: 'done', current: 'current step', next: 'not started' };

/** renderSteps draws the step plan: done, current and next steps. */
export function renderSteps(el, detail) {
  const steps = detail.steps || [];
  if (steps.length === 0) {
    const blueGreen = detail.summary?.strategy === 'blueGreen';
    replace(el, h('p', { class: 'muted' }, blueGreen
      ? 'A blue-green update has no steps: the preview revision runs beside the active one until it is promoted.'
      : 'This rollout has no steps: an update goes straight to the new revision.'));
    return;
  }
  replace(el, h('ol', { class: 'timeline' }, steps.map((s, i) => stepItem(s, i, steps.length))));
}

function stepItem(step, position, total) {
  const current = step.state === 'current';
  const markerTone = { done: 'good', current: step.pauseReason ? 'waiting' : 'busy' }[step.state] || 'unknown';
  return h('li', {
    class: ['step', `step-${step.state}`],
    'data-index': step.index,
    'aria-current': current ? 'step' : null,
  },
  h('span', { class: ['marker', `tone-${markerTone}`] }, icon(markerTone)),
  h('div', { class: 'step-body' },
    h('p', { class: 'step-title' },
      h('span', { class: 'step-num' }, `Step ${position + 1} of ${total}`), ' ',
      h('code', { class: 'step-desc' }, step.description || '–'),
      h('span', { class: 'visually-hidden' }, ` (${stateWords[step.state] || step.state})`)),
    current ? h('p', { class: 'step-info' },
      step.pauseReason ? `${pauseReasonWords(step.pauseReason)} ` : '',
      step.since ? ['In this step for ', since(step.since, 'span'), '.'] : '') : ''));
}

/** renderTraffic shows the canary's set and actual weights, or a blue-green's services. */
export function renderTraffic(el, detail) {
  const sum = detail.summary || {};
  const st = detail.rollout?.status || {};
  if (sum.strategy === 'blueGreen') {
    const rev = (hash) => (detail.revisions || []).find((r) => r.hash === hash);
    const name = (hash) => (rev(hash) ? `revision ${rev(hash).revision}` : hash || 'none');
    const active = st.blueGreen?.activeSelector;
    const preview = st.blueGreen?.previewSelector;
    replace(el,
      h('p', {}, 'Blue-green sends all traffic to the active revision; the preview Service lets you test the new one first.'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Active'), h('dd', {}, name(active)),
        h('dt', {}, 'Preview'), h('dd', {}, preview && preview !== active ? name(preview) : 'none')));
    return;
  }
  const verified = st.canary?.weights?.verified;
  replace(el,
    weightBar('Set', sum.setWeight, 'the weight the current step asks for'),
    weightBar('Actual', sum.actualWeight, 'the weight the traffic router reports'),
    verified === true ? h('p', { class: 'muted' }, 'The data plane confirmed these weights.') : '',
    verified === false ? h('p', { class: 'warn-text' }, 'The data plane reports other weights than the ones set.') : '');
}

// weightBar is one labelled bar: the canary's share and the stable's.
function weightBar(label, canary, hint) {
  const known = typeof canary === 'number';
  const c = known ? Math.min(100, Math.max(0, canary)) : 0;
  const text = known ? `canary ${percent(c)}, stable ${percent(100 - c)}` : 'not reported';
  return h('div', { class: 'weight' },
    h('p', { class: 'weight-label' }, h('strong', {}, `${label}: `), text, h('span', { class: 'muted' }, ` (${hint})`)),
    known ? svg('svg', { class: 'bar', viewBox: '0 0 100 6', preserveAspectRatio: 'none', role: 'img', 'aria-label': `${label} weight: ${text}` },
      svg('rect', { class: 'bar-stable', x: 0, y: 0, width: 100, height: 6 }),
      svg('rect', { class: 'bar-canary', x: 0, y: 0, width: c, height: 6 })) : '');
}
