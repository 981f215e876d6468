// The dashboard's node table at 2,000 nodes, in one run against one hub. The figure is the table
// as shipped, which keeps only the rows in view in the DOM. The baseline is the same code with
// that turned off, so every row is in the DOM (still keyed and updated in place); the bench
// makes it by serving web/js/node_table.js with its row threshold raised above the node count.
//
// Usage: node tests/bench/dashboard_table_bench.mjs --build-dir BUILD --source-dir SOURCE
//        [--nodes 2000] [--rounds 5]

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  Fleet, freePort, httpJson, launchBrowser, timeTableStep, waitFor,
} from '../integration/browser/harness.mjs';

const STEP_BOUND_MS = 60_000;

const options = { nodes: '2000', rounds: '5' };
for (let index = 2; index < process.argv.length; index += 2) {
  options[process.argv[index].replace(/^--/, '')] = process.argv[index + 1];
}
const nodeCount = Number(options.nodes);
const rounds = Number(options.rounds);
const fleet = new Fleet(options['build-dir'], options['source-dir']);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function startFleet() {
  const nodesFile = join(fleet.workDir, 'nodes.txt');
  const script = join(options['source-dir'], 'tests/integration/browser/fake_nodes.mjs');
  const child = spawn(process.execPath, [script, String(nodeCount), nodesFile],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  fleet.processes.set('fake-nodes', child);
  await new Promise((resolve) => createInterface({ input: child.stdout })
    .on('line', (line) => line === 'ready' && resolve()));
  const port = await freePort();
  const hubUrl = `http://127.0.0.1:${port}/`;
  fleet.startHub(port, { extra: ['--discovery', 'static', '--nodes-file', nodesFile,
    '--poll-interval', '2', '--events-interval', '0', '--advertise', 'off'] });
  await waitFor('every node online', async () =>
    (await httpJson(`${hubUrl}api/nodes?state=online&limit=1`)).body?.total === nodeCount,
  120_000, 500);
  return hubUrl;
}

async function measure(context, hubUrl, virtualised) {
  const page = await context.newPage();
  if (!virtualised) {
    const source = readFileSync(join(options['source-dir'], 'web/js/node_table.js'), 'utf8')
      .replace(/const VIRTUAL_THRESHOLD = \d+;/, 'const VIRTUAL_THRESHOLD = Infinity;');
    await page.route('**/js/node_table.js', (route) =>
      route.fulfill({ body: source, contentType: 'text/javascript' }));
  }
  const started = Date.now();
  await page.goto(hubUrl);
  await page.waitForFunction((count) =>
    document.getElementById('table-count').textContent === `${count} nodes` &&
    document.querySelectorAll('#nodes tbody tr[data-node-id]').length > 0, nodeCount,
  { timeout: 120_000 });
  const loadMs = Date.now() - started;
  const rows = await page.locator('#nodes tbody tr[data-node-id]').count();

  const sorts = [];
  const searches = [];
  const lastName = `sim-node-${String(nodeCount - 1).padStart(4, '0')}`;
  for (let round = 0; round < rounds; round += 1) {
    const first = round % 2 ? 'sim-node-0000' : lastName;
    sorts.push(await timeTableStep(page, { action: 'sort', column: 'name', first },
      STEP_BOUND_MS));
    const text = `sim-node-${String(round * 7).padStart(4, '0')}`;
    searches.push(await timeTableStep(page, { action: 'search', text, rowCount: 1 },
      STEP_BOUND_MS));
    await timeTableStep(page, { action: 'clear', countText: `${nodeCount} nodes` },
      STEP_BOUND_MS);
  }
  const frames = await page.evaluate(async () => {
    let longest = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        longest = Math.max(longest, entry.duration);
      }
    });
    observer.observe({ type: 'longtask' });
    let count = 0;
    const started = performance.now();
    while (performance.now() - started < 5000) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      count += 1;
    }
    observer.disconnect();
    return { fps: count / ((performance.now() - started) / 1000), longest };
  });
  await page.close();
  return { loadMs, rows, sortMs: median(sorts), searchMs: median(searches), ...frames };
}

async function main() {
  try {
    const hubUrl = await startFleet();
    const context = await launchBrowser(join(fleet.workDir, 'chromium-profile'));
    const results = {
      'only rows in view': await measure(context, hubUrl, true),
      'every row (baseline)': await measure(context, hubUrl, false),
    };
    await context.close();
    console.log(`${nodeCount} nodes, medians of ${rounds} rounds, live updates streaming`);
    console.log('| table | rows in DOM | list shown | sort | search | frames/s | longest task |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name, r] of Object.entries(results)) {
      console.log(`| ${name} | ${r.rows} | ${r.loadMs} ms | ${r.sortMs.toFixed(0)} ms | ` +
        `${r.searchMs.toFixed(0)} ms | ${r.fps.toFixed(0)} | ${r.longest.toFixed(0)} ms |`);
    }
  } finally {
    await fleet.stopAll();
  }
}

main();
