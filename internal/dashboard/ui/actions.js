// The action buttons of a rollout page. Each action asks for confirmation
// in a dialog that says what will happen to this rollout, then POSTs to the
// server with the CSRF token and shows the server's answer.
import { act } from './api.js';
import { h, replace } from './dom.js';
import { canAct, onSessionChange, loadSession } from './session.js';
import { confirmAction } from './confirm.js';
import { revisionImages } from './revisions.js';

const actions = [
  { name: 'promote', label: 'Promote', hint: 'Go on to the next step' },
  { name: 'promote-full', label: 'Promote full', hint: 'Skip the remaining steps and analyses' },
  { name: 'pause', label: 'Pause', hint: 'Hold the rollout at its current step' },
  { name: 'resume', label: 'Resume', hint: 'Let a paused rollout go on' },
  { name: 'abort', label: 'Abort', hint: 'Send all traffic back to the stable revision', danger: true },
  { name: 'retry', label: 'Retry', hint: 'Start an aborted update again' },
  { name: 'undo', label: 'Undo…', hint: 'Go back to an earlier revision' },
  { name: 'restart', label: 'Restart', hint: 'Replace every pod, a few at a time' },
];

/** actionBar builds the buttons for rollout ns/name; done runs after each action. */
export function actionBar(ns, name, done) {
  let detail = null;
  let busy = false;
  const note = h('p', { class: 'actions-note', id: 'actions-note' });
  const result = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const buttons = actions.map((a) => h('button', {
    type: 'button',
    class: a.name === 'promote' ? 'primary' : a.danger ? 'danger' : 'secondary',
    'data-action': a.name,
    onclick: () => run(a),
  }, a.label));
  const el = h('div', { class: 'actions' },
    h('div', { class: 'buttons', role: 'group', 'aria-label': 'Actions', 'aria-describedby': 'actions-note' }, buttons),
    note, result);

  function sync() {
    const { ok, reason } = canAct();
    buttons.forEach((b, i) => {
      b.disabled = !ok || busy || !detail;
      b.title = ok ? actions[i].hint : reason;
    });
    note.textContent = ok ? '' : reason;
  }
  const stop = onSessionChange(sync);
  sync();

  async function run(action) {
    if (!detail) return;
    const plan = explain(action.name, ns, name, detail);
    const confirmed = await confirmAction({ ...plan, danger: action.danger });
    if (!confirmed) return;
    busy = true;
    sync();
    replace(result, h('p', { class: 'working' }, `${action.label.replace('…', '')}: sending…`));
    try {
      const body = action.name === 'undo' ? { revision: plan.revision() } : {};
      const answer = await act(ns, name, action.name, body);
      replace(result, h('p', { class: 'ok' }, answer?.message || 'Done.'));
    } catch (err) {
      replace(result, h('p', { class: 'error', role: 'alert' }, err.message));
      if (err.status === 401) await loadSession();
    } finally {
      busy = false;
      sync();
      done();
    }
  }

  return {
    el,
    update(d) {
      detail = d;
      sync();
    },
    destroy: stop,
  };
}

// explain says exactly what an action will do to this rollout, for the
// confirmation dialog.
function explain(action, ns, name, detail) {
  const who = h('strong', {}, `${name}`);
  const where = ` (namespace ${ns})`;
  const revs = detail.revisions || [];
  const newest = revs[0];
  const stable = revs.find((r) => r.role === 'stable' || r.role === 'active');
  const revText = (r) => (r ? `revision ${r.revision}${imagesOf(r)}` : 'the stable revision');
  const steps = detail.steps || [];
  const cur = steps.findIndex((s) => s.state === 'current');
  const blueGreen = detail.summary?.strategy === 'blueGreen';
  const stepText = (i) => `step ${i + 1} (${steps[i].description})`;
  switch (action) {
    case 'promote': {
      let what;
      if (blueGreen) what = [`: the active Service switches to ${revText(newest)}, and the old revision is scaled down after its delay.`];
      else if (cur < 0) what = [': it goes on past its current wait.'];
      else if (cur + 1 < steps.length) what = [` stops waiting at ${stepText(cur)} and goes on to ${stepText(cur + 1)}.`];
      else what = [` finishes its last step, ${stepText(cur)}: ${revText(newest)} becomes the stable revision.`];
      return { title: `Promote ${name}?`, text: p(who, where, ...what) };
    }
    case 'promote-full':
      return {
        title: `Promote ${name} fully?`,
        text: p(who, where, `: every remaining step and analysis is skipped, and ${revText(newest)} becomes the stable revision now, with all the traffic.`),
      };
    case 'abort':
      return {
        title: `Abort the update of ${name}?`,
        text: p(who, where, `: all traffic goes back to ${revText(stable)}, the update to ${revText(newest)} is scaled down, and the rollout is Degraded until you retry it.`),
        confirmLabel: 'Abort',
      };
    case 'retry':
      return { title: `Retry ${name}?`, text: p(who, where, `: the aborted update to ${revText(newest)} starts again from step 1.`) };
    case 'pause':
      return { title: `Pause ${name}?`, text: p(who, where, ' holds at its current step: no step advances until you resume it. Pod counts still follow the step\'s weight.') };
    case 'resume':
      return { title: `Resume ${name}?`, text: p(who, where, ' goes on from where it was paused.') };
    case 'restart':
      return { title: `Restart the pods of ${name}?`, text: p('Every pod of ', who, where, ' is replaced, a few at a time (at most maxUnavailable at once). Nothing else changes.') };
    case 'undo':
      return undo(who, where, name, revs);
  }
  return { title: `${action} ${name}?`, text: p(who, where) };
}

function undo(who, where, name, revs) {
  const older = revs.slice(1);
  const select = h('select', { id: 'undo-revision' },
    older.length ? older.map((r) => h('option', { value: r.revision }, `revision ${r.revision}${r.role ? ` (${r.role})` : ''}${imagesOf(r)}`))
      : h('option', { value: 0 }, 'the previous revision'));
  const text = h('p', {});
  const say = () => {
    const r = older.find((o) => String(o.revision) === select.value);
    replace(text, who, where, ` goes back to ${r ? `revision ${r.revision}${imagesOf(r)}` : 'the previous revision'}: `,
      'its pod template is copied back into the Rollout, which starts an update to it',
      r?.role === 'stable' || r?.role === 'active' ? ' (straight away, as it is the stable revision).' : ', step by step.');
  };
  select.addEventListener('change', say);
  say();
  return {
    title: `Undo ${name}?`,
    text,
    extra: h('div', { class: 'field' }, h('label', { for: 'undo-revision' }, 'Revision to go back to'), select),
    confirmLabel: 'Undo',
    revision: () => Number(select.value),
  };
}

const p = (...parts) => h('p', {}, ...parts);

// imagesOf is " with image a, b" for a revision.
function imagesOf(rev) {
  const images = revisionImages(rev);
  return images.length ? ` with ${images.join(', ')}` : '';
}
