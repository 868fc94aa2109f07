// Entry point: reads the session, routes on the URL's hash (route.js) and
// feeds the live stream to the page shown.
import { connect } from './stream.js';
import { loadSession, onSessionChange, current } from './session.js';
import { listPage } from './list.js';
import { rolloutPage } from './rollout.js';
import { startTicker } from './ticker.js';
import { parseHash, rolloutHref } from './route.js';

const main = document.getElementById('main');
let page = null;
let firstRoute = true;

function route() {
  // A hash that is no route, such as the skip link's #main, is left alone.
  if (location.hash && !location.hash.startsWith('#/')) return;
  page?.destroy();
  const r = parseHash(location.hash);
  main.replaceChildren();
  page = r.kind === 'rollout' ? rolloutPage(main, r.namespace, r.name) : listPage(main, r.filters);
  // Move focus to the new page for keyboard and screen reader users, but
  // not on the first load, where the browser's own focus order is best.
  if (!firstRoute) main.querySelector('h1')?.focus();
  firstRoute = false;
}

const liveWords = {
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline: updates paused',
};

function setLive(status) {
  const el = document.getElementById('live');
  el.textContent = liveWords[status] || status;
  el.dataset.status = status;
}

// The server answers a rollout's path, /namespaces/NS/rollouts/NAME, with
// this page too: show it under its hash route.
function fromPath() {
  const m = location.pathname.match(/^\/namespaces\/([^/]+)\/rollouts\/([^/]+)\/?$/);
  if (m && !location.hash) history.replaceState(null, '', `/${rolloutHref(decodeURIComponent(m[1]), decodeURIComponent(m[2]))}`);
}

async function start() {
  fromPath();
  document.querySelector('.skip')?.addEventListener('click', (ev) => {
    ev.preventDefault();
    main.focus();
  });
  await loadSession();
  // Signing in or out changes what the server shows: load the page again.
  let signedIn = current().signedIn;
  onSessionChange((s) => {
    if (s.signedIn !== signedIn) page?.onChange(null);
    signedIn = s.signedIn;
  });
  window.addEventListener('hashchange', route);
  route();
  connect((change) => page?.onChange(change), setLive);
  startTicker();
}

start();
