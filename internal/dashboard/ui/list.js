// The rollouts list: filters (namespace, phase, search) kept in the URL's
// hash, and a table that refreshes on any change in the live stream.
import { listRollouts } from './api.js';
import { h, replace, debounce } from './dom.js';
import { strategyName, percent } from './format.js';
import { badge } from './icons.js';
import { since } from './ticker.js';
import { refresher } from './stream.js';
import { listHash, rolloutHref } from './route.js';

const phases = ['Progressing', 'Paused', 'Healthy', 'Degraded'];

/** listPage shows the rollouts list in root. */
export function listPage(root, initial) {
  const filters = { ...initial };
  const namespaces = new Set(filters.namespace ? [filters.namespace] : []);
  document.title = 'Rollouts · Ramp';

  const nsSelect = h('select', { id: 'f-namespace', name: 'namespace' });
  const phaseSelect = h('select', { id: 'f-phase', name: 'phase' },
    h('option', { value: '' }, 'All phases'), phases.map((p) => h('option', { value: p }, p)));
  phaseSelect.value = filters.phase;
  const search = h('input', { id: 'f-q', name: 'q', type: 'search', placeholder: 'Name, image…', value: filters.q, autocomplete: 'off' });
  const status = h('p', { class: 'count', role: 'status' }, 'Loading…');
  const body = h('tbody');
  const table = h('table', { class: 'rollouts', 'aria-busy': 'true' },
    h('caption', { class: 'visually-hidden' }, 'Rollouts'),
    h('thead', {}, h('tr', {}, ['Status', 'Name', 'Namespace', 'Strategy', 'Step', 'Weight (set / actual)', 'Images', 'Ready', 'Age']
      .map((c) => h('th', { scope: 'col' }, c)))),
    body);

  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'field' }, h('label', { for: 'f-namespace' }, 'Namespace'), nsSelect),
    h('div', { class: 'field' }, h('label', { for: 'f-phase' }, 'Phase'), phaseSelect),
    h('div', { class: 'field grow' }, h('label', { for: 'f-q' }, 'Search'), search));

  replace(root, h('h1', { tabindex: '-1' }, 'Rollouts'), form, status, h('div', { class: 'table-wrap' }, table));
  renderNamespaces();

  // A list may hold thousands of rollouts: refetch at most about once a second.
  const refresh = refresher(load, 1000);
  const changed = () => {
    const hash = listHash(filters);
    if (location.hash !== hash) history.replaceState(null, '', hash);
    refresh.now();
  };
  nsSelect.addEventListener('change', () => { filters.namespace = nsSelect.value; changed(); });
  phaseSelect.addEventListener('change', () => { filters.phase = phaseSelect.value; changed(); });
  search.addEventListener('input', debounce(() => { filters.q = search.value.trim(); changed(); }, 250));

  let alive = true;
  async function load() {
    const asked = { ...filters };
    try {
      const data = await listRollouts(asked);
      if (!alive) return;
      const items = data?.items || [];
      items.forEach((r) => namespaces.add(r.namespace));
      renderNamespaces();
      renderRows(items);
    } catch (err) {
      if (!alive) return;
      status.textContent = '';
      replace(body, h('tr', {}, h('td', { colspan: 9, class: 'error', role: 'alert' }, `Could not load the rollouts: ${err.message}`)));
    } finally {
      table.setAttribute('aria-busy', 'false');
    }
  }

  function renderNamespaces() {
    const keep = nsSelect.value || filters.namespace;
    replace(nsSelect, h('option', { value: '' }, 'All namespaces'),
      [...namespaces].sort().map((ns) => h('option', { value: ns }, ns)));
    nsSelect.value = keep;
  }

  function renderRows(items) {
    const filtered = filters.namespace || filters.q || filters.phase;
    status.textContent = items.length === 0
      ? (filtered ? 'No rollout matches these filters.' : 'No rollouts yet.')
      : `${items.length} rollout${items.length === 1 ? '' : 's'}${filtered ? ' match' : ''}`;
    replace(body, items.map(row));
  }

  refresh.now();
  return {
    onChange: () => refresh.schedule(),
    destroy() {
      alive = false;
      refresh.stop();
    },
  };
}

// row is one rollout; the name is the link, and a click anywhere on the
// row follows it too.
function row(r) {
  const href = rolloutHref(r.namespace, r.name);
  const cell = (label, ...content) => h('td', { 'data-label': label }, ...content);
  return h('tr', {
    'data-rollout': `${r.namespace}/${r.name}`,
    class: 'clickable',
    onclick: (ev) => {
      if (!ev.target.closest('a') && !window.getSelection()?.toString()) location.hash = href;
    },
  },
  cell('Status', badge(r.phase || 'Unknown')),
  h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href }, r.name)),
  cell('Namespace', r.namespace),
  cell('Strategy', strategyName(r.strategy)),
  cell('Step', r.step || '–'),
  cell('Weight', r.strategy === 'canary' ? `${percent(r.setWeight)} / ${percent(r.actualWeight)}` : '–'),
  cell('Images', imageList(r.images)),
  cell('Ready', `${r.ready ?? 0}/${r.desired ?? 0}`),
  cell('Age', since(r.created)));
}

/** imageList shows images with their roles (stable, canary, active, preview). */
export function imageList(images) {
  if (!images?.length) return '–';
  return h('ul', { class: 'images' }, images.map((i) =>
    h('li', {}, h('code', {}, i.image), i.role ? h('span', { class: ['role', `role-${i.role}`] }, i.role) : '')));
}
