// One rollout's page: header, actions, step plan, traffic, revisions with
// their pods, analysis runs and events. The skeleton is built once; each
// refresh replaces the sections' contents, so focus on the action buttons
// and open <details> survive live updates.
import { getRollout } from './api.js';
import { h, replace, debounce } from './dom.js';
import { strategyName, profileText, meaning } from './format.js';
import { badge } from './icons.js';
import { since } from './ticker.js';
import { refresher } from './stream.js';
import { imageList } from './list.js';
import { actionBar } from './actions.js';
import { renderSteps, renderTraffic } from './steps.js';
import { renderRevisions, renderEvents } from './revisions.js';
import { renderAnalysis } from './analysis.js';

// section is a titled part of the page; its body is refilled on refresh.
function section(id, title) {
  const body = h('div', { class: 'section-body' });
  const el = h('section', { id, class: 'card', 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), body);
  return { el, body };
}

/** rolloutPage shows rollout ns/name in root. */
export function rolloutPage(root, ns, name) {
  document.title = `${name} · ${ns} · Ramp`;
  const title = h('h1', { tabindex: '-1' }, name);
  const head = h('div', { class: 'head-body' });
  const status = h('p', { class: 'load-status', role: 'status' }, 'Loading…');
  const parts = {
    steps: section('steps', 'Steps'),
    traffic: section('traffic', 'Traffic'),
    revisions: section('revisions', 'Revisions'),
    analysis: section('analysis', 'Analysis'),
    events: section('events', 'Events'),
  };
  let detail = null;
  let alive = true;
  const refresh = refresher(load);
  const actions = actionBar(ns, name, () => refresh.now());

  replace(root,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Rollouts'), ' / ', ns, ' / ', name),
    h('header', { class: 'rollout-head card' }, title, head, actions.el),
    status,
    h('div', { class: 'columns' }, parts.steps.el, parts.traffic.el),
    parts.analysis.el, parts.revisions.el, parts.events.el);

  async function load() {
    try {
      const d = await getRollout(ns, name);
      if (!alive) return;
      detail = d;
      status.textContent = '';
      render();
    } catch (err) {
      if (!alive) return;
      status.classList.add('error');
      status.textContent = err.status === 404
        ? `Rollout ${name} was not found in namespace ${ns}. It may have been deleted.`
        : `Could not load the rollout: ${err.message}`;
    }
  }

  function render() {
    const open = openDetails(root);
    renderHead(head, detail);
    actions.update(detail);
    renderSteps(parts.steps.body, detail);
    renderTraffic(parts.traffic.body, detail);
    renderAnalysis(parts.analysis.body, detail);
    renderRevisions(parts.revisions.body, detail);
    renderEvents(parts.events.body, detail);
    restoreDetails(root, open);
  }

  // Charts are drawn to the width of their box: draw again when it changes.
  const onResize = debounce(() => detail && renderAnalysis(parts.analysis.body, detail), 200);
  window.addEventListener('resize', onResize);

  refresh.now();
  return {
    onChange(change) {
      if (!change || (change.namespace === ns && change.name === name)) refresh.schedule();
    },
    destroy() {
      alive = false;
      refresh.stop();
      actions.destroy();
      window.removeEventListener('resize', onResize);
    },
  };
}

function renderHead(el, detail) {
  const sum = detail.summary || {};
  const ro = detail.rollout || {};
  const facts = [
    ['Namespace', sum.namespace],
    ['Strategy', strategyKnown(ro) ? strategyName(sum.strategy) : 'from its profile, once read'],
    sum.profile ? ['Profile', profileText(sum.profile)] : null,
    sum.step ? ['Step', sum.step] : null,
    ['Ready', `${sum.ready ?? 0} of ${sum.desired ?? 0} pods`],
    ['Images', imageList(sum.images)],
    ['Age', since(sum.created)],
  ].filter(Boolean);
  const words = meaning(ro);
  replace(el,
    h('div', { class: 'phase-line' }, badge(sum.phase || 'Unknown'), words ? h('p', { class: 'meaning' }, words) : ''),
    sum.message ? h('p', { class: 'message' }, h('span', { class: 'label' }, 'Message: '), sum.message) : '',
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}

// strategyKnown tells whether the rollout's kind of strategy is known:
// written in spec.strategy, or in the profile strategy its status records.
// A rollout that only names a profile the controller has not read yet has
// none.
function strategyKnown(ro) {
  const own = ro.spec?.strategy || {};
  const recorded = ro.status?.profile?.strategy || {};
  return Boolean(own.canary || own.blueGreen || recorded.canary || recorded.blueGreen);
}

// openDetails remembers which <details> with a data-key are open.
function openDetails(root) {
  return new Set([...root.querySelectorAll('details[data-key]')].filter((d) => d.open).map((d) => d.dataset.key));
}

function restoreDetails(root, open) {
  for (const d of root.querySelectorAll('details[data-key]')) {
    if (open.has(d.dataset.key)) d.open = true;
  }
}
