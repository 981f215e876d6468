// The dashboard's node table with 2,000 nodes: a hub polls 2,000 stand-in nodes
// (fake_nodes.mjs, one loopback port each, found through --nodes-file), and Chromium, driven by
// playwright-core, loads the overview. Checks that the table lists every node while keeping only
// the rows in view in the DOM, and that sorting, searching, scrolling and live updates work at
// that size. Prints the time each step took; the bounds asserted are generous, because this
// checks behaviour, not speed.
//
// Usage: node dashboard_scale_test.mjs --build-dir BUILD --source-dir SOURCE

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  Checks, Fleet, expect, freePort, httpJson, launchBrowser, parseArguments, screenshotDir,
  sleep, timeTableStep, waitFor, watchPageErrors,
} from './harness.mjs';

const NODE_COUNT = 2000;
const MAX_ROWS_IN_DOM = 200;
// A step that takes longer than this is broken, not slow.
const STEP_BOUND_MS = 5000;

const { buildDir, sourceDir } = parseArguments(process.argv);
const fleet = new Fleet(buildDir, sourceDir);
const checks = new Checks();
const shots = screenshotDir(buildDir);
let hubUrl = null;
let context = null;
let page = null;
let pageErrors = [];

async function startFakeNodes() {
  const nodesFile = join(fleet.workDir, 'nodes.txt');
  const script = fileURLToPath(new URL('./fake_nodes.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, String(NODE_COUNT), nodesFile],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  fleet.processes.set('fake-nodes', child);
  const lines = createInterface({ input: child.stdout });
  await new Promise((resolve, reject) => {
    lines.on('line', (line) => line === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`fake_nodes.mjs exited with ${code}`)));
  });
  return nodesFile;
}

async function startHub(nodesFile) {
  const port = await freePort();
  hubUrl = `http://127.0.0.1:${port}/`;
  fleet.startHub(port, { extra: ['--discovery', 'static', '--nodes-file', nodesFile,
    '--poll-interval', '2', '--events-interval', '0', '--advertise', 'off'] });
  const { waitedMs } = await waitFor(`${NODE_COUNT} nodes online in the API`, async () => {
    const { body } = await httpJson(`${hubUrl}api/nodes?state=online&limit=1`);
    return body?.total === NODE_COUNT;
  }, 90_000, 500);
  console.log(`hub identified ${NODE_COUNT} nodes in ${(waitedMs / 1000).toFixed(1)} s`);
}

function rowNames() {
  return page.evaluate(() => [...document.querySelectorAll('#nodes tbody tr[data-node-id]')]
    .map((row) => row.cells[0].textContent));
}

async function listsEveryNode() {
  const started = Date.now();
  await page.goto(hubUrl);
  await waitFor('the count of every node', async () =>
    (await page.textContent('#table-count')) === `${NODE_COUNT} nodes`, 20_000, 50);
  const loadMs = Date.now() - started;
  const rows = (await rowNames()).length;
  expect(rows > 0, 'no rows in the DOM');
  expect(rows <= MAX_ROWS_IN_DOM, `${rows} rows in the DOM, over ${MAX_ROWS_IN_DOM}`);
  const rowCount = await page.getAttribute('#nodes', 'aria-rowcount');
  expect(rowCount === String(NODE_COUNT + 1), `aria-rowcount is ${rowCount}`);
  await page.screenshot({ path: join(shots, 'dashboard-2000-nodes-light.png') });
  return `${NODE_COUNT} nodes listed ${loadMs} ms after navigation, ${rows} rows in the DOM`;
}

async function sortsQuickly() {
  const ms = await timeTableStep(page, { action: 'sort', column: 'name', first: 'sim-node-1999' },
    STEP_BOUND_MS);
  expect(ms !== null,
    `the descending sort did not show sim-node-1999 first within ${STEP_BOUND_MS} ms`);
  return `descending sort by name shown in ${ms.toFixed(0)} ms`;
}

async function scrollsToTheEnd() {
  const ms = await timeTableStep(page, { action: 'scroll', last: 'sim-node-0000' }, STEP_BOUND_MS);
  expect(ms !== null, 'the last node did not render after scrolling to the end');
  const last = await page.evaluate(() => {
    const rows = document.querySelectorAll('#nodes tbody tr[data-node-id]');
    return rows[rows.length - 1].getAttribute('aria-rowindex');
  });
  expect(last === String(NODE_COUNT + 1), `the last row has aria-rowindex ${last}`);
  await page.screenshot({ path: join(shots, 'dashboard-2000-nodes-end.png') });
  return `rows at the end shown ${ms.toFixed(0)} ms after the scroll`;
}

async function searchesQuickly() {
  await page.evaluate(() => {
    document.getElementById('table-scroll').scrollTop = 0;
  });
  const ms = await timeTableStep(page,
    { action: 'search', text: 'sim-node-1234', rowCount: 1, first: 'sim-node-1234' },
    STEP_BOUND_MS);
  expect(ms !== null, 'the search did not narrow the table to sim-node-1234');
  await page.fill('#node-search', '');
  return `search narrowed ${NODE_COUNT} rows to 1 in ${ms.toFixed(0)} ms`;
}

// The stand-in nodes change recorder state every few seconds; the count of recording nodes in
// the filtered table must follow without a reload.
async function followsLiveUpdates() {
  await page.selectOption('#filter-recorder', 'recording');
  const count = async () => page.textContent('#table-count');
  const { value: first } = await waitFor('the recording filter applied', async () => {
    const text = await count();
    return text.endsWith(`of ${NODE_COUNT} nodes match`) && text;
  }, 5000);
  const { waitedMs } = await waitFor('the recording count to change', async () =>
    (await count()) !== first, 20_000, 200);
  const changed = await count();
  // Updates from the event stream must keep the recorder state that GET /api/nodes gave.
  await page.selectOption('#filter-recorder', 'unknown');
  await waitFor('no unknown recorders', async () =>
    (await count()) === `0 of ${NODE_COUNT} nodes match`, 5000);
  await page.selectOption('#filter-recorder', '');
  return `${first} became ${changed} after ${(waitedMs / 1000).toFixed(1)} s`;
}

// Long tasks and frames while live updates stream in, over a few seconds.
async function staysResponsive() {
  const figures = await page.evaluate(async () => {
    const longTasks = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        longTasks.push(entry.duration);
      }
    });
    observer.observe({ type: 'longtask', buffered: false });
    let frames = 0;
    const started = performance.now();
    while (performance.now() - started < 5000) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      frames += 1;
    }
    observer.disconnect();
    const seconds = (performance.now() - started) / 1000;
    return { fps: frames / seconds, longTasks: longTasks.length,
      maxLongTaskMs: Math.max(0, ...longTasks) };
  });
  expect(figures.fps >= 5, `${figures.fps.toFixed(1)} frames per second`);
  expect(figures.maxLongTaskMs < STEP_BOUND_MS, `a task took ${figures.maxLongTaskMs} ms`);
  return `${figures.fps.toFixed(0)} frames/s, ${figures.longTasks} long tasks, longest ` +
    `${figures.maxLongTaskMs.toFixed(0)} ms`;
}

async function darkScreenshot() {
  await page.emulateMedia({ colorScheme: 'dark' });
  await sleep(300);
  await page.screenshot({ path: join(shots, 'dashboard-2000-nodes-dark.png') });
}

async function main() {
  try {
    const nodesFile = await startFakeNodes();
    await startHub(nodesFile);
    context = await launchBrowser(join(fleet.workDir, 'chromium-profile'));
    page = await context.newPage();
    pageErrors = watchPageErrors(page);
    await page.emulateMedia({ colorScheme: 'light' });
    await checks.run(`table lists ${NODE_COUNT} nodes, virtualised`, listsEveryNode);
    await checks.run('sort at 2,000 rows', sortsQuickly);
    await checks.run('scroll to the last row', scrollsToTheEnd);
    await checks.run('search at 2,000 rows', searchesQuickly);
    await checks.run('filtered count follows live updates', followsLiveUpdates);
    await checks.run('page stays responsive during updates', staysResponsive);
    await darkScreenshot();
    await checks.run('no script errors in the page', () => {
      expect(pageErrors.length === 0, pageErrors.join('; '));
    });
  } catch (error) {
    await checks.run('fleet and browser start', () => {
      throw error;
    });
  } finally {
    await context?.close();
    await fleet.stopAll();
    fleet.finish(checks);
  }
  console.log(`screenshots in ${shots}`);
  process.exit(checks.summary());
}

main();
