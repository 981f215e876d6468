// Entry point of the dashboard: the theme, the live node list and hash routing between the
// pages: #/ (fleet overview), #/node/ID (one node) and #/telemetry.

import { byId, setText } from './js/dom.js';
import { NodePage } from './js/node_page.js';
import { NodeStore } from './js/store.js';
import { OverviewPage } from './js/overview_page.js';
import { TelemetryPage } from './js/telemetry_page.js';
import { setUpTheme } from './js/theme.js';

const TICK_MS = 1000;

const store = new NodeStore();
const pages = {
  overview: new OverviewPage(store),
  node: new NodePage(store),
  telemetry: new TelemetryPage(),
};
let current = null;

function route() {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [name, ...rest] = hash.split('/');
  if (name === 'node' && rest.length) {
    return { page: 'node', argument: decodeURIComponent(rest.join('/')) };
  }
  if (name === 'telemetry') {
    return { page: 'telemetry' };
  }
  return { page: 'overview' };
}

function navigate() {
  const { page, argument } = route();
  if (current) {
    pages[current].hide();
  }
  current = page;
  for (const link of document.querySelectorAll('nav a[data-page]')) {
    if (link.dataset.page === page) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  if (page !== 'node') {
    document.title = 'WineBot Fleet';
  }
  pages[page].show(argument);
  byId('main').focus({ preventScroll: true });
}

function renderStatus() {
  const status = byId('stream-status');
  const texts = {
    connecting: 'Connecting…', live: 'Live', down: 'Live updates down, reconnecting…',
  };
  setText(status, texts[store.streamState]);
  status.className = `stream-${store.streamState}`;
  const error = byId('error');
  error.hidden = !store.error;
  setText(error, store.error ?? '');
}

setUpTheme(byId('theme-toggle'));
store.subscribe(renderStatus);
window.addEventListener('hashchange', navigate);
navigate();

store.connect();
store.reload();
setInterval(() => pages[current].tick(), TICK_MS);
