// The fake's actions: each changes a rollout's model the way the
// controller would end up, answers like internal/actions (a message, or
// 409 with the reason), and a little later plays the controller moving
// through steps that need no person.
import { describe, event, phase } from './data.mjs';

const conflict = (message) => ({ status: 409, message });
const ok = (message) => ({ status: 200, message });

/** perform runs action on model m; notify tells the live stream. */
export function perform(m, action, body, notify) {
  const outcome = apply(m, action, body || {});
  if (outcome.status < 300) {
    m.since = new Date().toISOString();
    event(m, 'Normal', 'ActionApplied', `${outcome.message} (dashboard)`);
    setTimeout(notify, 50);
    setTimeout(() => advance(m, notify), 2500);
  }
  return outcome;
}

function apply(m, action, body) {
  const q = `rollout "${m.name}"`;
  const inUpdate = m.strategy === 'canary' ? m.stepIndex < m.steps.length : m.bluePaused;
  switch (action) {
    case 'promote':
      if (m.abort) return conflict(`${q} is aborted: retry it before promoting`);
      if (!inUpdate) return conflict(`${q} has no update in progress`);
      if (m.strategy === 'blueGreen') {
        m.bluePaused = false;
      } else {
        m.stepIndex += 1;
      }
      m.paused = false;
      return ok(`${q} promoted`);
    case 'promote-full':
      if (!inUpdate && !m.abort) return conflict(`${q} has no update in progress`);
      m.stepIndex = m.steps.length;
      m.bluePaused = false;
      m.abort = false;
      m.paused = false;
      return ok(`${q} fully promoted`);
    case 'abort':
      if (m.abort) return conflict(`${q} is already aborted`);
      if (!inUpdate) return conflict(`${q} has no update in progress to abort`);
      m.abort = true;
      m.abortedBy = 'the dashboard';
      return ok(`${q} aborted`);
    case 'retry':
      if (!m.abort) return conflict(`${q} is not aborted`);
      m.abort = false;
      m.stepIndex = 0;
      return ok(`${q} retried`);
    case 'pause':
      if (m.paused) return conflict(`${q} is already paused`);
      m.paused = true;
      return ok(`${q} paused`);
    case 'resume':
      if (!m.paused) return conflict(`${q} is not paused`);
      m.paused = false;
      return ok(`${q} resumed`);
    case 'undo': {
      const newest = m.revisions[m.revisions.length - 1];
      const target = body.revision ? m.revisions.find((r) => r.revision === body.revision) : m.revisions[m.revisions.length - 2];
      if (!target) return conflict(`${q} has no revision ${body.revision}`);
      if (target === newest) return conflict(`${q} already runs revision ${target.revision}`);
      m.revisions = [...m.revisions.filter((r) => r !== target), { ...target, revision: newest.revision + 1, created: new Date().toISOString() }];
      m.stepIndex = 0;
      m.abort = false;
      return ok(`${q} rolled back to revision ${target.revision}`);
    }
    case 'restart':
      return ok(`${q} restarting: pods created before now will be replaced`);
  }
  return { status: 400, message: `unknown action "${action}"` };
}

// advance plays the controller: steps that wait for no one (setWeight,
// analysis) finish after a moment; pause steps and the end stop it.
function advance(m, notify) {
  if (m.strategy !== 'canary' || m.abort || m.paused || m.stepIndex >= m.steps.length) return;
  if (phase(m).reason) return;
  event(m, 'Normal', 'RolloutStepCompleted', `Step ${m.stepIndex + 1}/${m.steps.length} (${describe(m.steps[m.stepIndex])}) completed`);
  m.stepIndex += 1;
  m.since = new Date().toISOString();
  notify();
  setTimeout(() => advance(m, notify), 2500);
}
