// Live updates: one EventSource on api/v1/stream for the whole page. Each
// `change` event names a rollout; after a lost connection, listeners get
// null, meaning "anything may have changed".

const retryAfter = 5000;

/**
 * connect opens the stream. onChange gets {namespace, name} or null;
 * onStatus gets "live", "reconnecting" or "offline".
 */
export function connect(onChange, onStatus) {
  let source = null;
  let lost = false;

  function open() {
    source = new EventSource('/api/v1/stream');
    source.addEventListener('open', () => {
      onStatus('live');
      if (lost) onChange(null);
      lost = false;
    });
    source.addEventListener('change', (ev) => {
      let data = null;
      try {
        data = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (data && typeof data.namespace === 'string' && typeof data.name === 'string') onChange(data);
    });
    source.addEventListener('error', () => {
      lost = true;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (for example on an error status): try again later.
        onStatus('offline');
        source.close();
        setTimeout(open, retryAfter);
      } else {
        onStatus('reconnecting');
      }
    });
  }
  open();
  return () => source?.close();
}

/**
 * refresher runs load at most once at a time: schedule() asks for a run
 * after a short quiet time (coalescing bursts of events), now() runs at
 * once; a request made while a run is going starts one more after it.
 */
export function refresher(load, delay = 300) {
  let timer = null;
  let running = false;
  let again = false;
  let stopped = false;

  async function run() {
    if (stopped) return;
    running = true;
    try {
      await load();
    } finally {
      running = false;
      if (again && !stopped) {
        again = false;
        schedule();
      }
    }
  }
  function schedule() {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(run, delay);
  }
  return {
    schedule,
    now() {
      clearTimeout(timer);
      if (running) again = true;
      else run();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
