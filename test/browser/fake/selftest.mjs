// Runs the browser test (run.mjs) against the fake server, so the UI can
// be checked without a cluster: it promotes shop/web and checks the judge
// verdict of shop/search.  node fake/selftest.mjs [screenshots-dir]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFake } from './server.mjs';

const fake = await startFake();
const screenshots = process.argv[2] || process.env.RAMP_SCREENSHOTS || 'screenshots';
const child = spawn(process.execPath, [fileURLToPath(new URL('../run.mjs', import.meta.url))], {
  stdio: 'inherit',
  env: { ...process.env, RAMP_DASHBOARD_URL: fake.url, RAMP_ROLLOUT: 'shop/web', RAMP_VERDICT_ROLLOUT: 'shop/search', RAMP_SCREENSHOTS: screenshots },
});
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
await fake.close();
process.exit(code);
