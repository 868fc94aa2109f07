// The dashboard's HTTP API (see the contract in internal/dashboard).

/** ApiError is an error answer of the server, with its status and message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let csrfToken = '';

/** setCSRF keeps the CSRF token of the session for state-changing requests. */
export function setCSRF(token) {
  csrfToken = token || '';
}

// csrf is the session's CSRF token, or the one in the ramp_csrf cookie.
function csrf() {
  if (csrfToken) return csrfToken;
  const m = document.cookie.match(/(?:^|;\s*)ramp_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = csrf();
    if (body !== undefined) headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The dashboard server cannot be reached. Is it still running?');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // An empty or non-JSON answer: the status says enough.
  }
  if (!res.ok) {
    throw new ApiError(res.status, data?.error || `The server answered ${res.status} ${res.statusText}`.trim());
  }
  return data;
}

const enc = encodeURIComponent;

/** session reads the session: readOnly, signInRequired, signedIn, user, csrfToken. */
export const getSession = () => request('GET', '/api/v1/session');

/** signIn sends a bearer token once; the server keeps the session in an HttpOnly cookie. */
export const signIn = (token) => request('POST', '/api/v1/session', { token });

/** signOut ends the session. */
export const signOut = () => request('DELETE', '/api/v1/session');

/** listRollouts lists rollout summaries, filtered by namespace, text and phase. */
export function listRollouts({ namespace = '', q = '', phase = '' } = {}) {
  const params = new URLSearchParams();
  if (namespace) params.set('namespace', namespace);
  if (q) params.set('q', q);
  if (phase) params.set('phase', phase);
  const query = params.toString();
  return request('GET', `/api/v1/rollouts${query ? `?${query}` : ''}`);
}

/** getRollout reads one rollout with its steps, revisions, runs and events. */
export const getRollout = (ns, name) => request('GET', `/api/v1/namespaces/${enc(ns)}/rollouts/${enc(name)}`);

/** act runs an action (promote, abort, undo, …) on a rollout. */
export const act = (ns, name, action, body = {}) =>
  request('POST', `/api/v1/namespaces/${enc(ns)}/rollouts/${enc(name)}/actions/${enc(action)}`, body);
