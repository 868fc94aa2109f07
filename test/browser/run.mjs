// Browser test of the Ramp dashboard, run in Debian's headless Chromium:
//
//   RAMP_DASHBOARD_URL=http://127.0.0.1:3100/ RAMP_ROLLOUT=shop/web \
//   RAMP_SCREENSHOTS=/tmp/shots node run.mjs
//
// It checks that the list shows RAMP_ROLLOUT as Paused; that its page shows
// the step plan and an analysis chart; that Promote, once confirmed, moves
// the rollout to its next step live, without a reload. With
// RAMP_VERDICT_ROLLOUT (namespace/name of a rollout with a failed judge
// analysis), it also checks that rollout's page explains the judge's
// verdict in a table: one row per compared metric, its class coloured by
// its tone, the reason of a High or Low metric, and the critical legend.
// It saves screenshots of the pages, and fails on uncaught page errors and
// on Content-Security-Policy violations. Exit code 0 on success, 1
// otherwise.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const base = process.env.RAMP_DASHBOARD_URL;
const target = process.env.RAMP_ROLLOUT || '';
const verdictTarget = process.env.RAMP_VERDICT_ROLLOUT || '';
const shots = path.resolve(process.env.RAMP_SCREENSHOTS || 'screenshots');
const executablePath = process.env.RAMP_CHROMIUM || '/usr/bin/chromium';
const timeout = 20000;

const [ns, name] = target.split('/');
if (!base || !ns || !name) {
  console.error('FAIL: set RAMP_DASHBOARD_URL (the dashboard base URL) and RAMP_ROLLOUT (namespace/name of a Paused canary rollout)');
  process.exit(1);
}

const problems = [];
let page;
let browser;
let current = 'starting';

function step(what) {
  current = what;
  console.log(`- ${what}`);
}

async function main() {
  await mkdir(shots, { recursive: true });
  step(`launch ${executablePath}`);
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  }).catch((err) => {
    throw new Error(`${err.message.split('\n')[0]} (install Debian's chromium: apt-get install -y chromium)`);
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (err) => problems.push(`uncaught error in the page: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && msg.text().startsWith('CSP violation')) problems.push(msg.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} in ${e.sourceFile}:${e.lineNumber}`);
    });
  });

  step(`open the list at ${base}`);
  await page.goto(base);
  const row = page.locator(`tr[data-rollout="${ns}/${name}"]`);
  await row.waitFor({ state: 'visible' }).catch(async () => {
    const shown = await page.locator('tr[data-rollout]').evaluateAll((rows) => rows.map((r) => r.dataset.rollout));
    const status = await page.locator('.count').innerText().catch(() => '');
    throw new Error(`${target} is not in the list; it shows ${shown.length ? shown.join(', ') : 'no rollout'} (${status || 'no status'})`);
  });
  step(`check ${target} is listed as Paused`);
  await waitUntil(async () => (await row.locator('td').first().innerText()).includes('Paused'),
    async () => `the list shows ${target} as "${(await row.locator('td').first().innerText()).trim()}", not Paused`);
  await page.screenshot({ path: path.join(shots, 'list.png'), fullPage: true });

  step('open the rollout page from the list');
  await row.getByRole('link', { name, exact: true }).click();
  const currentStep = page.locator('#steps ol.timeline li[aria-current="step"]');
  await currentStep.waitFor({ state: 'visible' });
  const stepCount = await page.locator('#steps ol.timeline li').count();
  step(`check the step plan (${stepCount} steps) and an analysis chart`);
  if (stepCount < 2) throw new Error(`the step plan shows ${stepCount} step(s); a canary with a pause step has at least 2`);
  await page.locator('#analysis svg.chart[role="img"]').first().waitFor({ state: 'visible' }).catch(async () => {
    const text = (await page.locator('#analysis').innerText()).replace(/\s+/g, ' ').slice(0, 400);
    throw new Error(`no analysis chart: the rollout needs an AnalysisRun with measurements; the analysis section says: ${text}`);
  });
  await page.screenshot({ path: path.join(shots, 'rollout.png'), fullPage: true });

  const before = await currentStep.getAttribute('data-index');
  await page.evaluate(() => { window.rampNoReload = true; });
  step(`promote from step index ${before}`);
  await page.getByRole('button', { name: 'Promote', exact: true }).click();
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible' });
  console.log(`  dialog: ${(await dialog.locator('#confirm-text').innerText()).replace(/\s+/g, ' ').trim()}`);
  await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });

  step('wait for the current step to change, without a reload');
  await waitUntil(async () => {
    const now = await page.locator('#steps ol.timeline li[aria-current="step"]').getAttribute('data-index', { timeout: 500 }).catch(() => null);
    return now !== before;
  }, async () => `the current step is still index ${before} after Promote; the page says: ${await resultText()}`, 30000);
  if (!(await page.evaluate(() => window.rampNoReload === true))) throw new Error('the page reloaded during the update');
  const after = await page.locator('#steps ol.timeline li[aria-current="step"]').getAttribute('data-index', { timeout: 500 }).catch(() => 'none (steps done)');
  console.log(`  current step index ${before} -> ${after}; server said: ${await resultText()}`);
  await page.screenshot({ path: path.join(shots, 'rollout-promoted.png'), fullPage: true });

  if (verdictTarget) await checkVerdict(verdictTarget);
  if (problems.length) throw new Error(problems.join('\n'));
}

// classTones are the tones a judge metric's class is shown in.
const classTones = { Pass: 'tone-good', High: 'tone-bad', Low: 'tone-bad', NoData: 'tone-warn' };

// checkVerdict opens the page of rollout target (namespace/name) and checks
// the table that explains its judge's verdict.
async function checkVerdict(verdictOf) {
  const [vns, vname] = verdictOf.split('/');
  step(`open ${verdictOf} and check its judge verdict table`);
  await page.goto(`${base.replace(/\/?$/, '/')}#/rollouts/${encodeURIComponent(vns)}/${encodeURIComponent(vname)}`);
  const verdict = page.locator('#analysis .verdict').filter({ has: page.locator('table.verdict-metrics') }).first();
  await verdict.waitFor({ state: 'visible' }).catch(async () => {
    const text = (await page.locator('#analysis').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 400);
    throw new Error(`no judge verdict table on ${verdictOf}'s page; the analysis section says: ${text}`);
  });
  const score = (await verdict.locator('.verdict-score').innerText()).trim();
  if (!/^Judge: score \d+\/100/.test(score)) throw new Error(`the verdict's header says "${score}", not "Judge: score N/100 …"`);
  const metrics = await verdict.locator('tbody[data-metric]').evaluateAll((bodies) => bodies.map((b) => ({
    name: b.dataset.metric,
    cls: b.dataset.class,
    badge: b.querySelector('.badge')?.className || '',
    cells: [...b.querySelectorAll('tr:first-child > *')].map((c) => c.innerText.trim()),
    reason: b.querySelector('tr.verdict-reason')?.innerText.trim() || '',
  })));
  console.log(`  ${score}: ${metrics.map((m) => `${m.name} ${m.cls}`).join(', ')}`);
  if (metrics.length === 0) throw new Error('the verdict table has no metric rows');
  for (const m of metrics) {
    if (m.cells.length !== 8) throw new Error(`metric ${m.name} has ${m.cells.length} cells, not 8: ${m.cells.join(' | ')}`);
    if (!m.cells[2].includes(m.cls)) throw new Error(`metric ${m.name}'s class cell says "${m.cells[2]}", not ${m.cls}`);
    if (classTones[m.cls] && !m.badge.includes(classTones[m.cls])) {
      throw new Error(`metric ${m.name} (${m.cls}) is shown as "${m.badge}", not ${classTones[m.cls]}`);
    }
  }
  const failing = metrics.filter((m) => m.cls === 'High' || m.cls === 'Low');
  if (failing.length === 0) throw new Error(`no High or Low metric in the verdict of ${verdictOf}: ${metrics.map((m) => m.cls).join(', ')}`);
  for (const m of failing) {
    if (!m.reason) throw new Error(`metric ${m.name} (${m.cls}) is shown without its reason`);
  }
  if (metrics.some((m) => m.cells[0].includes('*'))) {
    const legend = await verdict.locator('.verdict-legend').innerText().catch(() => '');
    if (!legend.startsWith('* critical')) throw new Error(`a critical metric is starred but the legend says "${legend}"`);
  }
  await verdict.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, 'verdict.png'), fullPage: true });
}

// waitUntil polls check until it holds, or throws what explain says.
async function waitUntil(check, explain, ms = timeout) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(await explain());
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function resultText() {
  return (await page.locator('.actions .result').innerText({ timeout: 1000 }).catch(() => '')).trim() || '(no message)';
}

const deadline = setTimeout(() => {
  console.error(`FAIL: timed out while trying to ${current}`);
  process.exit(1);
}, 150000);

try {
  await main();
  console.log(`PASS: ${target} promoted in the dashboard; screenshots in ${shots}`);
} catch (err) {
  process.exitCode = 1;
  console.error(`FAIL: could not ${current}: ${err.message}`);
  if (problems.length) console.error(problems.join('\n'));
  if (page) {
    console.error(`  page: ${page.url()}`);
    await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    console.error(`  screenshot: ${path.join(shots, 'failure.png')}`);
  }
} finally {
  clearTimeout(deadline);
  await browser?.close().catch(() => {});
}
