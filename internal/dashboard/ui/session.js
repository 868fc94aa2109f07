// The session: who is signed in, whether actions are allowed, and the
// sign-in form. A token typed into the form is sent once to the server
// and then dropped: it is never written to storage, cookies or the URL.
import { getSession, signIn, signOut, setCSRF } from './api.js';
import { h, replace } from './dom.js';

let session = { readOnly: true, signInRequired: false, signedIn: false, user: '', csrfToken: '' };
const listeners = new Set();

/** current is the last session read from the server. */
export const current = () => session;

/** onSessionChange calls fn each time the session changes; returns a function that stops it. */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function update(next) {
  session = { ...session, ...next };
  setCSRF(session.csrfToken);
  renderBar();
  renderSignIn();
  for (const fn of listeners) fn(session);
}

/** loadSession reads the session from the server. */
export async function loadSession() {
  try {
    update(await getSession());
  } catch (err) {
    update({ readOnly: true, error: err.message });
  }
  return session;
}

/** mustSignIn is true when the server wants a token before it shows anything or acts. */
export const mustSignIn = () => session.signInRequired && !session.signedIn;

/**
 * canAct says whether actions can be sent now, and why not: the reason is
 * shown as the tooltip of disabled buttons.
 */
export function canAct() {
  if (session.readOnly) return { ok: false, reason: 'The dashboard is read-only: actions are not enabled on this server.' };
  if (mustSignIn()) return { ok: false, reason: 'Sign in with a token to act on rollouts.' };
  return { ok: true, reason: '' };
}

function renderBar() {
  const bar = document.getElementById('session');
  if (!bar) return;
  const parts = [];
  if (session.readOnly) parts.push(h('span', { class: 'tag', title: 'Actions are not enabled on this server' }, 'Read-only'));
  if (session.signedIn) {
    parts.push(h('span', { class: 'user' }, 'Signed in', session.user ? ` as ${session.user}` : ''));
    parts.push(h('button', { type: 'button', class: 'link', onclick: doSignOut }, 'Sign out'));
  }
  replace(bar, parts);
}

async function doSignOut() {
  try {
    await signOut();
  } finally {
    await loadSession();
  }
}

function renderSignIn() {
  const box = document.getElementById('signin');
  if (!box) return;
  if (!mustSignIn()) {
    box.replaceChildren();
    return;
  }
  if (box.querySelector('form')) return; // keep what the person is typing
  const error = h('p', { class: 'error', role: 'alert' });
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, 'Sign in'),
    h('p', {}, 'This dashboard acts with your own Kubernetes permissions. Paste a bearer token: ',
      'it is sent once to the dashboard, which checks it with the API server and keeps your session ',
      'in a cookie that scripts cannot read. The browser does not store the token.'),
    h('label', { for: 'token' }, 'Bearer token'),
    h('div', { class: 'row' }, input, submit),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    input.value = '';
    if (!token) return;
    submit.disabled = true;
    error.textContent = '';
    try {
      update(await signIn(token));
    } catch (err) {
      error.textContent = err.message;
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(box, form);
}
