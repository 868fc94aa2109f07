// Revisions with their ReplicaSets and pods, and the recent events.
import { h, replace } from './dom.js';
import { tone, plural } from './format.js';
import { badge } from './icons.js';
import { since } from './ticker.js';

/** renderRevisions lists the revisions, newest first, each with its pods. */
export function renderRevisions(el, detail) {
  const revisions = detail.revisions || [];
  if (revisions.length === 0) {
    replace(el, h('p', { class: 'muted' }, 'No ReplicaSet yet.'));
    return;
  }
  replace(el, revisions.map(revision));
}

/** revisionImages are the container images of a revision's ReplicaSet. */
export function revisionImages(rev) {
  return (rev.replicaSet?.spec?.template?.spec?.containers || []).map((c) => c.image).filter(Boolean);
}

function revision(rev) {
  const rs = rev.replicaSet || {};
  const want = rs.spec?.replicas ?? 0;
  const have = rs.status?.replicas ?? 0;
  const ready = rs.status?.readyReplicas ?? 0;
  const pods = rev.pods || [];
  const images = revisionImages(rev);
  return h('article', { class: 'revision', 'data-role': rev.role, 'data-revision': rev.revision },
    h('h3', {},
      `Revision ${rev.revision}`,
      rev.role && rev.role !== 'old' ? h('span', { class: ['role', `role-${rev.role}`] }, rev.role) : '',
      badge(replicaSetStatus(want, have, ready))),
    h('p', { class: 'rs-line' },
      h('code', {}, rs.metadata?.name || rev.hash), ` · ready ${ready}/${want} · `, since(rs.metadata?.creationTimestamp)),
    images.length ? h('p', { class: 'rs-images' }, images.map((i) => h('code', { class: 'image' }, i))) : '',
    pods.length ? podTable(pods) : h('p', { class: 'muted' }, 'No pods.'));
}

// replicaSetStatus is a ReplicaSet's state in one word.
function replicaSetStatus(want, have, ready) {
  if (want === 0) return have > 0 ? 'ScalingDown' : 'ScaledDown';
  return ready >= want && have === want ? 'Healthy' : 'Progressing';
}

function podTable(pods) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'pods' },
    h('thead', {}, h('tr', {}, ['Pod', 'Status', 'Ready', 'Restarts', 'Age'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, pods.map((p) => {
      const st = podStatus(p);
      const containers = p.status?.containerStatuses || [];
      const restarts = containers.reduce((n, c) => n + (c.restartCount || 0), 0);
      const total = p.spec?.containers?.length || containers.length;
      return h('tr', {},
        h('th', { scope: 'row', 'data-label': 'Pod' }, h('code', {}, p.metadata?.name)),
        h('td', { 'data-label': 'Status' }, badge(st, podTone(st, p))),
        h('td', { 'data-label': 'Ready' }, `${containers.filter((c) => c.ready).length}/${total}`),
        h('td', { 'data-label': 'Restarts' }, String(restarts)),
        h('td', { 'data-label': 'Age' }, since(p.metadata?.creationTimestamp)));
    }))));
}

/** podStatus is a pod's status as kubectl shows it: Running, CrashLoopBackOff, Terminating… */
export function podStatus(pod) {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  for (const c of [...(pod.status?.initContainerStatuses || []), ...(pod.status?.containerStatuses || [])]) {
    const reason = c.state?.waiting?.reason || (c.state?.terminated?.exitCode ? c.state.terminated.reason : '');
    if (reason) return reason;
  }
  return pod.status?.reason || pod.status?.phase || 'Unknown';
}

// podTone: a running pod that is not ready is still on its way.
function podTone(status, pod) {
  if (status !== 'Running') return tone(status);
  const ready = (pod.status?.conditions || []).find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? 'good' : 'busy';
}

/** renderEvents lists the recent events, newest first. */
export function renderEvents(el, detail) {
  const events = detail.events || [];
  if (events.length === 0) {
    replace(el, h('p', { class: 'muted' }, 'No recent events.'));
    return;
  }
  replace(el,
    h('p', { class: 'muted' }, events.length === 1 ? 'The last event.' : `The last ${plural(events.length, 'event')}, newest first.`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'events' },
      h('thead', {}, h('tr', {}, ['Type', 'Reason', 'Message', 'Age'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, events.map((e) => h('tr', {},
        h('td', { 'data-label': 'Type' }, badge(e.type || 'Normal', e.type === 'Warning' ? 'warn' : 'faint')),
        h('td', { 'data-label': 'Reason' }, e.reason),
        h('td', { 'data-label': 'Message', class: 'wrap' }, e.message),
        h('td', { 'data-label': 'Age' }, since(e.time))))))));
}
