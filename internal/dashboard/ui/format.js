// Words, ages and tones: how states are shown to people. The tones and
// icons follow kubectl ramp's (internal/cli/view): good, busy, waiting,
// bad, faint.

/** age is how long ago time was, as kubectl prints ages: 45s, 3m, 5h, 12d. */
export function age(time, now = Date.now()) {
  const t = Date.parse(time);
  if (!time || Number.isNaN(t)) return '–';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h`;
  const d = Math.floor(hours / 24);
  return d < 730 ? `${d}d` : `${Math.floor(d / 365)}y`;
}

/** span is a duration in words: 42s, 3m 12s, 2h 5m, 3d 4h. */
export function span(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => n + u).join(' ');
}

/** clock is a time of day, or a date and time when it is not today. */
export function clock(time) {
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return '–';
  const sameDay = d.toDateString() === new Date().toDateString();
  const opts = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
  return sameDay ? d.toLocaleTimeString([], opts) : d.toLocaleString([], { ...opts, month: 'short', day: 'numeric' });
}

const tones = {
  Healthy: 'good', Successful: 'good', Running: 'good', Normal: 'good', Completed: 'faint', Succeeded: 'faint',
  Progressing: 'busy', Pending: 'busy', ContainerCreating: 'busy', PodInitializing: 'busy', ScalingDown: 'busy',
  Paused: 'waiting',
  Inconclusive: 'warn', Warning: 'warn',
  Degraded: 'bad', Failed: 'bad', Error: 'bad', CrashLoopBackOff: 'bad', ImagePullBackOff: 'bad',
  ErrImagePull: 'bad', OOMKilled: 'bad', CreateContainerConfigError: 'bad',
  ScaledDown: 'faint', Terminating: 'faint',
};

/** tone is the tone of a phase or status word. */
export function tone(word) {
  return tones[word] || 'unknown';
}

// verdictTones: a judge metric that passed is good; one whose canary is
// higher or lower than its control is bad; one without data to compare is
// a warning (kubectl ramp marks it ⚠ too).
const verdictTones = { Pass: 'good', High: 'bad', Low: 'bad', NoData: 'warn' };

/** verdictTone is the tone of a judge metric's classification. */
export function verdictTone(classification) {
  return verdictTones[classification] || 'unknown';
}

/**
 * shiftText is a judge metric's estimated shift with its confidence
 * interval, as kubectl ramp get rollout shows it: "0.0071 [0.0052, 0.0093]",
 * either part alone, or a dash.
 */
export function shiftText(metric) {
  return [metric?.estimate, metric?.interval].filter(Boolean).join(' ') || '–';
}

/** scoreText is a judge verdict's score: "score 60/100". */
export function scoreText(verdict) {
  return `score ${verdict?.score ?? 0}/100`;
}

/** strategyName is the strategy as people say it. */
export function strategyName(strategy) {
  return { canary: 'Canary', blueGreen: 'Blue-green' }[strategy] || strategy || '–';
}

/**
 * profileText names the profile a strategy comes from, as kubectl ramp get
 * rollout does: "RolloutProfile team-canary (generation 3)", with
 * "namespace default" for a ClusterRolloutProfile chosen by its
 * namespaceSelector, or "(not read yet)" before the controller read it.
 */
export function profileText(profile) {
  if (!profile) return '–';
  const notes = [];
  if (profile.pending) {
    notes.push('not read yet');
  } else {
    if (profile.generation) notes.push(`generation ${profile.generation}`);
    if (profile.default) notes.push('namespace default');
  }
  const name = `${profile.kind || 'RolloutProfile'} ${profile.name}`;
  return notes.length ? `${name} (${notes.join(', ')})` : name;
}

/** percent shows a weight, or a dash when there is none. */
export function percent(n) {
  return n === null || n === undefined ? '–' : `${n}%`;
}

/** plural is "1 pod", "3 pods". */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const pauseWords = {
  CanaryPauseStep: 'Waiting at a pause step. Promote to go on to the next step.',
  BlueGreenPause: 'The preview revision is up and waits to be promoted to active.',
  InconclusiveAnalysis: 'An analysis was inconclusive, so a person must decide: promote to go on, or abort to go back to the stable revision.',
  ProgressDeadline: 'The update made no progress before its deadline and waits for a person.',
  SpecPaused: 'Paused by a person: no step advances until it is resumed.',
};

/** pauseReasonWords explains a pause reason in a sentence. */
export function pauseReasonWords(reason) {
  return pauseWords[reason] || (reason ? `Paused: ${reason}.` : '');
}

/** meaning says in plain words what a rollout's phase means for people. */
export function meaning(rollout) {
  const st = rollout?.status || {};
  const spec = rollout?.spec || {};
  switch (st.phase) {
    case 'Paused': {
      if (spec.paused) return 'Paused by a person: no step advances until it is resumed.';
      const reasons = (st.pauseConditions || []).map((c) => pauseReasonWords(c.reason));
      return reasons.join(' ') || 'Waiting for a person or a timer.';
    }
    case 'Degraded':
      if (st.abort) {
        const by = st.abortedBy ? ` (${st.abortedBy})` : '';
        return `The update was aborted${by}: traffic is back on the stable revision. Retry to start it again.`;
      }
      return 'The update cannot make progress. See the message and the events below.';
    case 'Healthy':
      return 'Every pod runs the current revision and is available.';
    case 'Progressing':
      return 'The update is moving forward on its own.';
  }
  return '';
}
