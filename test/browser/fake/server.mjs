// A fake Ramp dashboard server for trying the UI without a cluster: it
// serves the files of internal/dashboard/ui and canned JSON that follows
// the dashboard's HTTP contract, with the live stream, the CSRF checks and
// the security headers of the real server.
//
//   node fake/server.mjs [--port 3199] [--read-only] [--sign-in]
//
// With --sign-in, the token "let-me-in" signs in; any other is refused.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { models, summary, detail, addMeasurement } from './data.mjs';
import { perform } from './actions.mjs';

const uiDir = fileURLToPath(new URL('../../../internal/dashboard/ui/', import.meta.url));
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
const security = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin',
};

/** startFake starts the server; it resolves to {url, close}. */
export function startFake({ port = 0, readOnly = false, signIn = false } = {}) {
  const csrf = randomBytes(16).toString('hex');
  const sessions = new Set();
  const streams = new Set();

  const notify = (ns, name) => {
    for (const res of streams) res.write(`event: change\ndata: ${JSON.stringify({ namespace: ns, name })}\n\n`);
  };
  const timers = [
    setInterval(() => { addMeasurement(); notify('shop', 'web'); }, 10000),
    setInterval(() => { for (const res of streams) res.write(': keepalive\n\n'); }, 15000),
  ];

  const server = http.createServer(async (req, res) => {
    for (const [k, v] of Object.entries(security)) res.setHeader(k, v);
    const url = new URL(req.url, 'http://fake');
    try {
      if (url.pathname.startsWith('/api/')) {
        res.setHeader('Cache-Control', 'no-store');
        await api(req, res, url);
      } else {
        await serveFile(res, url.pathname);
      }
    } catch (err) {
      json(res, 500, { error: String(err?.message || err) });
    }
  });

  const cookies = (req) => Object.fromEntries((req.headers.cookie || '').split(/;\s*/).filter(Boolean).map((c) => c.split('=')));
  const signedIn = (req) => sessions.has(cookies(req).ramp_session);
  const session = (req) => ({ readOnly, signInRequired: signIn, signedIn: signIn && signedIn(req), user: signIn && signedIn(req) ? 'alice' : '', csrfToken: csrf });

  // sameOrigin: state-changing requests need the CSRF header and an Origin of this server.
  function checkWrite(req) {
    if (req.headers['x-csrf-token'] !== csrf || cookies(req).ramp_csrf !== csrf) return 'missing or wrong CSRF token';
    const origin = req.headers.origin || req.headers.referer || '';
    if (!origin.startsWith(`http://${req.headers.host}`)) return `origin ${origin || '(none)'} is not this dashboard`;
    return '';
  }

  async function api(req, res, url) {
    res.setHeader('Set-Cookie', `ramp_csrf=${csrf}; Path=/; SameSite=Strict`);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const write = req.method !== 'GET';
    if (write) {
      const bad = checkWrite(req);
      if (bad) return json(res, 403, { error: bad });
    }
    if (url.pathname === '/api/v1/session') {
      if (req.method === 'POST') {
        const { token } = await body(req);
        if (token !== 'let-me-in') return json(res, 401, { error: 'the token was not accepted by the API server (SelfSubjectReview: Unauthorized)' });
        const id = randomBytes(16).toString('hex');
        sessions.add(id);
        res.setHeader('Set-Cookie', [`ramp_csrf=${csrf}; Path=/; SameSite=Strict`, `ramp_session=${id}; Path=/; HttpOnly; SameSite=Strict`]);
        return json(res, 200, { ...session(req), signedIn: true, user: 'alice' });
      }
      if (req.method === 'DELETE') {
        sessions.delete(cookies(req).ramp_session);
        return json(res, 200, { ...session(req), signedIn: false, user: '' });
      }
      return json(res, 200, session(req));
    }
    if (url.pathname === '/api/v1/stream') return stream(req, res);
    if (signIn && !signedIn(req)) return json(res, 401, { error: 'sign in to use the dashboard' });
    if (url.pathname === '/api/v1/rollouts') return json(res, 200, { items: list(url.searchParams) });
    if (parts.length >= 6 && parts[2] === 'namespaces' && parts[4] === 'rollouts') {
      const m = models.get(`${parts[3]}/${parts[5]}`);
      if (!m) return json(res, 404, { error: `rollout "${parts[5]}" not found in namespace "${parts[3]}"` });
      if (parts.length === 6 && !write) return json(res, 200, detail(m));
      if (parts.length === 8 && parts[6] === 'actions' && req.method === 'POST') {
        if (readOnly) return json(res, 403, { error: 'the dashboard is read-only: start it with actions enabled to change rollouts' });
        const outcome = perform(m, parts[7], await body(req), () => notify(m.namespace, m.name));
        return json(res, outcome.status, outcome.status < 300 ? { message: outcome.message } : { error: outcome.message });
      }
    }
    return json(res, 404, { error: `no such API path: ${url.pathname}` });
  }

  function stream(req, res) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    res.write(': connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  }

  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      resolve({
        url,
        close() {
          timers.forEach(clearInterval);
          for (const res of streams) res.end();
          server.closeAllConnections?.();
          return new Promise((done) => server.close(done));
        },
      });
    });
  });
}

function list(params) {
  const ns = params.get('namespace') || '';
  const q = (params.get('q') || '').toLowerCase();
  const ph = params.get('phase') || '';
  return [...models.values()].map(summary)
    .filter((s) => (!ns || s.namespace === ns) && (!ph || s.phase === ph)
      && (!q || `${s.namespace}/${s.name} ${s.images.map((i) => i.image).join(' ')}`.toLowerCase().includes(q)))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

async function serveFile(res, pathname) {
  const name = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = path.join(uiDir, path.normalize(name));
  if (!file.startsWith(uiDir) || name.includes('..')) return json(res, 404, { error: 'not found' });
  try {
    const data = await readFile(file);
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    res.end(data);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  }
}

function json(res, status, value) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = Number(args[args.indexOf('--port') + 1]) || 3199;
  const fake = await startFake({ port: args.includes('--port') ? port : 3199, readOnly: args.includes('--read-only'), signIn: args.includes('--sign-in') });
  console.log(`fake dashboard on ${fake.url}`);
}
