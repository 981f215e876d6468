// Process and browser helpers for the dashboard's browser tests.
//
// Every process is started here and stopped by its pid. Chromium is Debian's
// /usr/bin/chromium, driven by playwright-core.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// Flags that keep Chromium off every network but loopback; playwright-core adds --headless.
const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export class CheckFailed extends Error {}

export function expect(condition, message) {
  if (!condition) {
    throw new CheckFailed(message);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Poll `condition` until it returns a truthy value; throw CheckFailed after `timeoutMs`.
// Returns {value, waitedMs}.
export async function waitFor(description, condition, timeoutMs, intervalMs = 100) {
  const started = Date.now();
  let lastError = null;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await condition();
      if (value) {
        return { value, waitedMs: Date.now() - started };
      }
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const detail = lastError ? ` (last error: ${lastError.message})` : '';
  throw new CheckFailed(
    `timed out after ${timeoutMs / 1000} s waiting for ${description}${detail}`);
}

// A TCP port on 127.0.0.1 that was free a moment ago.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Send a request and return {status, body}; body is parsed JSON or null.
export async function httpJson(url, { method = 'GET', body, headers = {}, timeoutMs = 5000 } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed };
}

// Named checks that print PASS or FAIL and go on after a failure, ending with the
// "N passed, M failed" line that ctest's FAIL_REGULAR_EXPRESSION reads.
export class Checks {
  constructor() {
    this.results = [];
  }

  async run(name, check) {
    const started = Date.now();
    try {
      const detail = await check();
      this.results.push([name, true]);
      const suffix = detail ? ` (${detail})` : '';
      console.log(`PASS ${name}${suffix} [${((Date.now() - started) / 1000).toFixed(2)} s]`);
    } catch (error) {
      this.results.push([name, false]);
      console.log(`FAIL ${name}: ${error.message}`);
      if (!(error instanceof CheckFailed)) {
        console.log(error.stack);
      }
    }
  }

  get failed() {
    return this.results.filter(([, ok]) => !ok).map(([name]) => name);
  }

  summary() {
    for (const name of this.failed) {
      console.log(`failed: ${name}`);
    }
    console.log(`${this.results.length - this.failed.length} passed, ${this.failed.length} failed`);
    return this.failed.length ? 1 : 0;
  }
}

export function parseArguments(argv) {
  const options = {};
  for (let index = 2; index < argv.length; index += 2) {
    options[argv[index].replace(/^--/, '')] = argv[index + 1];
  }
  if (!options['build-dir'] || !options['source-dir']) {
    throw new Error('usage: TEST --build-dir BUILD --source-dir SOURCE');
  }
  return { buildDir: options['build-dir'], sourceDir: options['source-dir'] };
}

export function randomToken() {
  return randomBytes(18).toString('hex');
}

// Owns a temporary folder and every process it starts.
export class Fleet {
  constructor(buildDir, sourceDir) {
    this.buildDir = buildDir;
    this.sourceDir = sourceDir;
    this.workDir = mkdtempSync(join(tmpdir(), 'winebot-browser-'));
    this.processes = new Map(); // name -> ChildProcess
    this.env = { ...process.env };
  }

  start(name, command, args, extraEnv = {}) {
    const log = openSync(join(this.workDir, `${name}.log`), 'a');
    const child = spawn(command, args, {
      env: { ...this.env, ...extraEnv }, stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.processes.set(name, child);
    return child;
  }

  startHub(port, { extra = [], env = {} } = {}) {
    return this.start('hub', join(this.buildDir, 'hub', 'winebot-hub'), [
      '--listen', `127.0.0.1:${port}`, '--db', join(this.workDir, 'hub.db'),
      '--web-root', join(this.sourceDir, 'web'), ...extra,
    ], env);
  }

  startNode(name, port, { extra = [], env = {} } = {}) {
    return this.start(name, join(this.buildDir, 'node', 'winebot-node'), [
      '--listen', `127.0.0.1:${port}`, '--state-dir', join(this.workDir, `${name}.state`),
      '--name', name, ...extra,
    ], env);
  }

  // Start Xvfb on `display` (":89") and wait for its socket.
  async startXvfb(display) {
    const socket = `/tmp/.X11-unix/X${display.slice(1)}`;
    expect(!existsSync(socket), `display ${display} is already in use (${socket} exists)`);
    this.start('xvfb', 'Xvfb', [display, '-screen', '0', '1280x720x24', '-nolisten', 'tcp']);
    await waitFor(`X socket ${socket}`, () => existsSync(socket), 10_000);
  }

  signal(name, signal) {
    this.processes.get(name).kill(signal);
  }

  log(name) {
    try {
      return readFileSync(join(this.workDir, `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  async stopAll() {
    const running = [...this.processes.values()].filter((child) => child.exitCode === null &&
      child.signalCode === null);
    const exits = running.map((child) => new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    }));
    for (const child of running) {
      child.kill('SIGTERM');
    }
    await Promise.all(exits);
  }

  // Print the logs when a check failed, else remove the work folder.
  finish(checks) {
    if (checks.failed.length) {
      for (const name of this.processes.keys()) {
        console.log(`--- log of ${name} ---\n${this.log(name).slice(-4000)}`);
      }
    } else {
      rmSync(this.workDir, { recursive: true, force: true });
    }
  }
}

// Launch Chromium with a fresh profile in `profileDir`; returns the persistent context.
export async function launchBrowser(profileDir, options = {}) {
  mkdirSync(profileDir, { recursive: true });
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1366, height: 768 },
    ...options,
  });
}

// Collect uncaught errors and console errors of `page`, to assert that none happened.
export function watchPageErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) {
      errors.push(`console error: ${message.text()}`);
    }
  });
  return errors;
}

export function screenshotDir(buildDir) {
  const dir = join(buildDir, 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Do one step on the node table in the page and time it until the table shows the result,
// checked on each animation frame. `step.action` is sort (by `step.column`), search (for
// `step.text`), clear (the search) or scroll (to the end). The result is checked by whichever of
// `first` and `last` (the names of the first and last row in the DOM), `rowCount` (rows in the
// DOM) and `countText` (the match count's text) the step gives. Returns milliseconds, or null
// when the result did not show within `boundMs`.
export function timeTableStep(page, step, boundMs) {
  return page.evaluate(async ([wanted, bound]) => {
    const rows = () => [...document.querySelectorAll('#nodes tbody tr[data-node-id]')];
    const search = (text) => {
      const box = document.getElementById('node-search');
      box.value = text;
      box.dispatchEvent(new Event('input'));
    };
    const actions = {
      sort: () => {
        document.querySelector(`#nodes th[data-column="${wanted.column}"] button`).click();
      },
      search: () => search(wanted.text),
      clear: () => search(''),
      scroll: () => {
        const scroller = document.getElementById('table-scroll');
        scroller.scrollTop = scroller.scrollHeight;
      },
    };
    const shown = () => {
      const list = rows();
      const name = (row) => row?.cells[0].textContent;
      return (wanted.first === undefined || name(list[0]) === wanted.first) &&
        (wanted.last === undefined || name(list[list.length - 1]) === wanted.last) &&
        (wanted.rowCount === undefined || list.length === wanted.rowCount) &&
        (wanted.countText === undefined ||
          document.getElementById('table-count').textContent === wanted.countText);
    };
    const started = performance.now();
    actions[wanted.action]();
    while (!shown()) {
      if (performance.now() - started > bound) {
        return null;
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    return performance.now() - started;
  }, [step, boundMs]);
}
