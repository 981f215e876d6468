// Dashboard in a real browser against a real fleet: Debian's Chromium, driven by
// playwright-core, opens the hub's dashboard while the hub probes real winebot-node processes
// from its static node list. One node records a real Xvfb display (:89). Checks that nodes
// appear and change state without a reload, that the filters work, that a recording action
// from the node page reaches the node, and that every page shows data or a clear "no data"
// state. Screenshots of each page in both themes go to BUILD/screenshots/.
//
// The static list keeps other mDNS traffic on the loopback interface, such as another test's
// fleet, out of the table; the fleet test covers discovery through Avahi.
//
// Usage: node dashboard_live_test.mjs --build-dir BUILD --source-dir SOURCE

import { join } from 'node:path';
import {
  Checks, Fleet, expect, freePort, httpJson, launchBrowser, parseArguments, randomToken,
  screenshotDir, sleep, waitFor, watchPageErrors,
} from './harness.mjs';

const DISPLAY = ':89';
const NAMES = ['browser-node-1', 'browser-node-2'];
const RECORDER = 'browser-recorder';
const LATE_NODE = 'browser-node-3';

const { buildDir, sourceDir } = parseArguments(process.argv);
const fleet = new Fleet(buildDir, sourceDir);
const checks = new Checks();
const adminToken = randomToken();
const shots = screenshotDir(buildDir);
const nodePorts = {};
let hubUrl = null;
let context = null;
let page = null;
let pageErrors = [];

// The state, badge text and badge class of the table row named `name`, or null.
function row(name) {
  return page.evaluate((wanted) => {
    const rows = [...document.querySelectorAll('#nodes tbody tr[data-node-id]')];
    const found = rows.find((r) => r.cells[0].textContent === wanted);
    if (!found) {
      return null;
    }
    const badge = found.querySelector('td[data-column="state"] .badge');
    return { id: found.dataset.nodeId, state: found.dataset.state, badge: badge.textContent,
      badgeClass: badge.className };
  }, name);
}

// Clear the search box and both filters, so that a failed check leaves none behind.
async function clearFilters() {
  await page.fill('#node-search', '');
  await page.selectOption('#filter-state', '');
  await page.selectOption('#filter-recorder', '');
}

function visibleNames() {
  return page.evaluate(() => [...document.querySelectorAll('#nodes tbody tr[data-node-id]')]
    .map((r) => r.cells[0].textContent));
}

async function apiNodes() {
  const { body } = await httpJson(`${hubUrl}api/nodes`);
  return body.nodes;
}

async function nodeIdOf(name) {
  return (await apiNodes()).find((node) => node.name === name)?.id;
}

// Every node gets display :89, because a node without --display watches WineBot's default
// :99, which other tests on this machine may own.
function startNode(name, options = {}) {
  fleet.startNode(name, nodePorts[name], {
    extra: ['--advertise', 'off', '--display', DISPLAY, ...(options.extra ?? [])],
    env: options.env,
  });
}

async function startFleet() {
  await fleet.startXvfb(DISPLAY);
  for (const name of [...NAMES, RECORDER, LATE_NODE]) {
    nodePorts[name] = await freePort();
  }
  const hubPort = await freePort();
  hubUrl = `http://127.0.0.1:${hubPort}/`;
  // The late node is listed from the start: until it runs, the hub shows its address as offline.
  const nodeList = Object.values(nodePorts).flatMap((port) => ['--node', `127.0.0.1:${port}`]);
  fleet.startHub(hubPort, {
    extra: ['--discovery', 'static', ...nodeList, '--events-interval', '1', '--advertise', 'off'],
    env: { WINEBOT_HUB_ADMIN_TOKEN: adminToken },
  });
  for (const name of NAMES) {
    startNode(name);
  }
  startNode(RECORDER, {
    extra: ['--session-root', join(fleet.workDir, 'sessions'), '--fps', '5'],
    env: { WINEBOT_RECORD: '1', WINEBOT_INACTIVITY_PAUSE_SECONDS: '0',
      WINEBOT_SESSION_POINTER_FILE: join(fleet.workDir, 'recorder.pointer') },
  });
  await waitFor('three nodes online in the API', async () => {
    const online = (await apiNodes()).filter((n) => n.state === 'online');
    return online.length === 3;
  }, 20_000);
}

// The chart library from npm, copied into web/vendor by `npm ci`, is served by the hub.
async function servesChartLibrary() {
  for (const [path, type] of [['vendor/uplot/uPlot.esm.js', 'text/javascript'],
    ['vendor/uplot/uPlot.min.css', 'text/css']]) {
    const response = await fetch(hubUrl + path);
    expect(response.status === 200, `GET /${path} returned HTTP ${response.status}; ` +
      'run scripts/setup.sh to install the npm packages');
    const contentType = response.headers.get('content-type');
    expect(contentType.startsWith(type), `GET /${path} has Content-Type ${contentType}`);
  }
  const chart = await page.locator('#telemetry-chart canvas, #overview-chart canvas').count();
  return `uPlot served${chart ? ', charts drawn' : ''}`;
}

async function openDashboard() {
  context = await launchBrowser(join(fleet.workDir, 'chromium-profile'));
  page = await context.newPage();
  pageErrors = watchPageErrors(page);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(hubUrl);
}

async function listsNodesOnline() {
  const names = [...NAMES, RECORDER];
  await waitFor('every node online in the table', async () => {
    const rows = await Promise.all(names.map(row));
    return rows.every((r) => r?.state === 'online' && r.badge === 'online');
  }, 15_000);
  await page.evaluate(() => {
    window.loadedOnce = true; // a reload would forget it
  });
  const expected = '4 nodes: 3 online, 1 offline'; // the late node's address is offline
  await waitFor(`the summary ${expected}`, async () =>
    (await page.textContent('#summary')) === expected, 10_000);
  const counts = await page.textContent('#counts-state');
  expect(counts.includes('online3'), `state counts read ${JSON.stringify(counts)}`);
  await page.screenshot({ path: join(shots, 'dashboard-overview-light.png'), fullPage: true });
  return names.join(', ');
}

async function lateNodeAppears() {
  const address = `127.0.0.1:${nodePorts[LATE_NODE]}`;
  expect((await row(address))?.state === 'offline', `no offline row for ${address}`);
  startNode(LATE_NODE);
  const { waitedMs } = await waitFor(`${LATE_NODE} online in the page`,
    async () => (await row(LATE_NODE))?.state === 'online', 20_000);
  await waitFor(`the row of ${address} replaced`, async () => (await row(address)) === null, 5000);
  expect(await page.evaluate(() => window.loadedOnce === true), 'the page reloaded');
  return `${(waitedMs / 1000).toFixed(2)} s after start, without a reload`;
}

async function searchAndFilter() {
  await clearFilters();
  await page.fill('#node-search', 'node-3');
  await waitFor('one row for the search', async () => {
    const names = await visibleNames();
    return names.length === 1 && names[0] === LATE_NODE;
  }, 5000);
  expect((await page.textContent('#table-count')) === '1 of 4 nodes match',
    `count reads ${await page.textContent('#table-count')}`);
  await page.fill('#node-search', '');
  await page.selectOption('#filter-state', 'offline');
  await waitFor('no offline rows', async () => (await visibleNames()).length === 0, 5000);
  await page.selectOption('#filter-state', '');
  await page.selectOption('#filter-recorder', 'idle');
  await waitFor('one idle recorder', async () => {
    const names = await visibleNames();
    return names.length === 1 && names[0] === RECORDER;
  }, 5000);
  await page.selectOption('#filter-recorder', 'disabled');
  await waitFor('three nodes without recording', async () =>
    (await visibleNames()).length === 3, 5000);
  return 'text search, state and recorder filters';
}

async function killedNodeTurnsOffline() {
  await clearFilters();
  fleet.signal(NAMES[1], 'SIGKILL');
  const { waitedMs } = await waitFor(`${NAMES[1]} offline in the page`,
    async () => (await row(NAMES[1]))?.state === 'offline', 15_000);
  const killed = await row(NAMES[1]);
  expect(killed.badge === 'offline', `badge reads ${killed.badge}`);
  expect(killed.badgeClass.includes('state-offline'), `badge class is ${killed.badgeClass}`);
  expect((await row(NAMES[0])).state === 'online', `${NAMES[0]} is no longer online`);
  expect(await page.evaluate(() => window.loadedOnce === true), 'the page reloaded');

  await page.selectOption('#filter-state', 'offline');
  await waitFor('only the killed node listed as offline', async () => {
    const names = await visibleNames();
    return names.length === 1 && names[0] === NAMES[1];
  }, 5000);
  await clearFilters();
  return `${(waitedMs / 1000).toFixed(2)} s after SIGKILL, without a reload`;
}

async function sortsByState() {
  await clearFilters();
  await page.click('#nodes th[data-column="state"] button');
  await waitFor('offline node first when sorted by state', async () =>
    (await visibleNames())[0] === NAMES[1], 5000);
  const sort = await page.getAttribute('#nodes th[data-column="state"]', 'aria-sort');
  expect(sort === 'ascending', `aria-sort is ${sort}`);
  await page.click('#nodes th[data-column="state"] button');
  await waitFor('offline node last when sorted descending', async () => {
    const names = await visibleNames();
    return names[names.length - 1] === NAMES[1];
  }, 5000);
  await page.click('#nodes th[data-column="name"] button');
  return 'ascending and descending';
}

async function keyboardReachesControls() {
  await page.evaluate(() => document.activeElement?.blur());
  const reached = [];
  for (let press = 0; press < 25; press += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement;
      return { id: element.id, text: element.textContent.trim().slice(0, 20),
        outline: getComputedStyle(element).outlineStyle };
    });
    reached.push(focused);
  }
  const search = reached.find((item) => item.id === 'node-search');
  expect(search, `Tab never reached the search box: ${JSON.stringify(reached)}`);
  expect(search.outline !== 'none', 'the focused search box has no visible outline');
  expect(reached.some((item) => item.id === 'theme-toggle'), 'Tab never reached the theme toggle');
  expect(reached.some((item) => item.text === 'Name'), 'Tab never reached a sort button');
  return `${reached.length} presses`;
}

async function summaryShowsDataOrNoData() {
  const summary = await httpJson(`${hubUrl}api/fleet/summary`);
  await waitFor('the time card filled', async () =>
    (await page.textContent('#time-note')).length > 0, 10_000);
  const note = await page.textContent('#time-note');
  if (summary.status === 200) {
    expect(/^Node time over the last/.test(note), `time note reads ${note}`);
    return 'summary shown';
  }
  expect(/^No recording time/.test(note), `time note reads ${note}`);
  const chart = await page.textContent('#overview-chart');
  expect(/No telemetry|No .* values/.test(chart), `fleet chart reads ${chart}`);
  return `no-data state (summary returned HTTP ${summary.status})`;
}

async function recordingActionReachesNode() {
  const recorderUrl = `http://127.0.0.1:${nodePorts[RECORDER]}`;
  const recorderState = async () => (await httpJson(`${recorderUrl}/health/recording`)).body.state;
  await page.click(`#nodes a:text-is("${RECORDER}")`);
  await waitFor('the node page', async () => (await page.textContent('#node-title')) === RECORDER,
    5000);
  expect(await page.isVisible('#login-form'), 'no login form before logging in');

  await page.click('#recording-actions button[data-action="start"]');
  await waitFor('the 401 explained', async () =>
    /needs an admin login/.test(await page.textContent('#action-result')), 5000);
  expect(await recorderState() === 'idle', 'the node started recording without a login');

  await page.fill('#login-token', 'not-the-admin-token');
  await page.click('#login-form button[type="submit"]');
  await waitFor('the failed login explained', async () =>
    /Login failed: invalid admin token/.test(await page.textContent('#login-result')), 5000);

  await page.fill('#login-token', adminToken);
  await page.press('#login-token', 'Enter');
  await waitFor('the login form hidden', async () => !(await page.isVisible('#login-form')), 5000);

  await page.click('#recording-actions button[data-action="start"]');
  await waitFor('the node recording', async () => (await recorderState()) === 'recording', 10_000);
  await waitFor('the start result shown', async () =>
    /start: the node replied HTTP 200, started/.test(await page.textContent('#action-result')),
  5000);
  const { waitedMs } = await waitFor('the recorder badge live', async () =>
    (await page.textContent('#node-recorder')) === 'recorder recording', 15_000);

  await page.click('#recording-actions button[data-action="pause"]');
  await waitFor('the node paused', async () => (await recorderState()) === 'paused', 10_000);
  await page.emulateMedia({ colorScheme: 'dark' });
  await sleep(300);
  await page.screenshot({ path: join(shots, 'dashboard-node-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await sleep(300);
  await page.screenshot({ path: join(shots, 'dashboard-node-light.png'), fullPage: true });

  await page.click('#recording-actions button[data-action="stop"]');
  await waitFor('the node stopped', async () => (await recorderState()) === 'idle', 20_000);
  const badgeSeconds = (waitedMs / 1000).toFixed(1);
  return `start, pause and stop reached the node; badge updated ${badgeSeconds} s after start`;
}

async function nodePageSections() {
  const recorderId = await nodeIdOf(RECORDER);
  const screenshot = await fetch(`${hubUrl}api/nodes/${recorderId}/screenshot`);
  if (screenshot.status === 200) {
    await waitFor('the screen image', async () => page.evaluate(() => {
      const image = document.getElementById('node-screen');
      return !image.hidden && image.naturalWidth > 0;
    }), 10_000);
  } else {
    await waitFor('the screen placeholder', async () =>
      (await page.isVisible('#node-screen-placeholder')) &&
      /^No screen image/.test(await page.textContent('#node-screen-note')), 10_000);
  }
  await waitFor('events listed or a no-data note', async () =>
    (await page.locator('#node-events tbody tr').count()) > 0 ||
    /^No events/.test(await page.textContent('#node-events-note')), 10_000);
  const events = await page.locator('#node-events tbody tr').count();
  const timeline = await page.locator('#node-timeline .timeline-span').count();
  expect(timeline > 0, 'the state timeline has no spans');
  const vnc = await page.getAttribute('#node-vnc', 'href');
  expect(vnc === 'http://127.0.0.1:6080/vnc.html', `noVNC link is ${vnc}`);
  return `screen HTTP ${screenshot.status}, ${events} events, ${timeline} timeline spans`;
}

async function unknownNodeShowsMessage() {
  await page.goto(`${hubUrl}#/node/no-such-node`);
  await waitFor('the unknown node message', async () =>
    /knows no node with id no-such-node/.test(await page.textContent('#node-missing')), 5000);
}

async function telemetryPage() {
  await page.click('nav a[data-page="telemetry"]');
  const list = await httpJson(`${hubUrl}api/telemetry`);
  await waitFor('the telemetry chart or a no-data note', async () =>
    (await page.locator('#telemetry-chart canvas').count()) > 0 ||
    /^No /.test(await page.textContent('#telemetry-chart')), 10_000);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await sleep(300);
    const path = join(shots, `dashboard-telemetry-${scheme}.png`);
    await page.screenshot({ path, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const canvas = await page.locator('#telemetry-chart canvas').count();
  return `GET /api/telemetry returned HTTP ${list.status}; chart ${canvas ? 'drawn' : 'no data'}`;
}

async function themeToggleIsKept() {
  await page.goto(hubUrl);
  await page.emulateMedia({ colorScheme: 'light' });
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(await theme() === 'auto', `theme starts as ${await theme()}`);
  const light = await background();
  await page.click('#theme-toggle'); // auto -> light
  await page.click('#theme-toggle'); // light -> dark
  expect(await theme() === 'dark', `theme is ${await theme()} after two presses`);
  await page.reload();
  await waitFor('the dark theme after a reload', async () => (await theme()) === 'dark', 5000);
  const dark = await background();
  expect(dark !== light, `background ${dark} is the light one`);
  await waitFor('rows after the reload', async () => (await visibleNames()).length === 4, 10_000);
  await page.screenshot({ path: join(shots, 'dashboard-overview-dark.png'), fullPage: true });
  await page.click('#theme-toggle'); // dark -> auto
  return `light ${light}, dark ${dark}`;
}

async function main() {
  try {
    await startFleet();
    await openDashboard();
    await checks.run('dashboard lists nodes online', listsNodesOnline);
    await checks.run('new node appears without reload', lateNodeAppears);
    await checks.run('search and filters narrow the table', searchAndFilter);
    await checks.run('SIGKILL turns the badge offline live', killedNodeTurnsOffline);
    await checks.run('column buttons sort the table', sortsByState);
    await checks.run('keyboard reaches the controls', keyboardReachesControls);
    await checks.run('summary shows data or note', summaryShowsDataOrNoData);
    await checks.run('recording actions from the node page', recordingActionReachesNode);
    await checks.run('node page sections render', nodePageSections);
    await checks.run('unknown node id is reported', unknownNodeShowsMessage);
    await checks.run('telemetry page shows data or note', telemetryPage);
    await checks.run('theme choice survives reload', themeToggleIsKept);
    await checks.run('hub serves the chart library', servesChartLibrary);
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
