// Fleet overview: lists the hub's nodes and updates the table in place from the hub's
// Server-Sent Events stream (GET /api/stream). The full list is loaded at start, after a
// `reset` or `dropped` event, and after the stream reconnects.

const AGE_REFRESH_MS = 1000; // the "last seen" column counts up without new data
const RENDER_DELAY_MS = 200; // bursts of node events cause one render
const RELOAD_RETRY_MS = 2000;
const COLUMNS = ['name', 'state', 'reason', 'address', 'version', 'lastSeen', 'id'];

const tbody = document.querySelector('#nodes tbody');
const summary = document.getElementById('summary');
const empty = document.getElementById('empty');
const errorBox = document.getElementById('error');
const rows = new Map(); // node id -> <tr>

function formatAge(epochMs) {
  if (!epochMs) {
    return 'never';
  }
  const seconds = Math.max(0, Math.round((Date.now() - epochMs) / 1000));
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  return `${Math.round(seconds / 60)} min ago`;
}

function formatAddress(node) {
  if (!node.address) {
    return '—';
  }
  const host = node.address.includes(':') ? `[${node.address}]` : node.address;
  return `${host}:${node.port}`;
}

function cellValues(node) {
  return {
    name: node.name || node.id,
    state: node.state,
    reason: node.warnings?.length
      ? `${node.state_reason} (warning: ${node.warnings.join('; ')})`
      : node.state_reason,
    address: formatAddress(node),
    version: node.txt?.version ?? node.node_state?.version ?? '—',
    lastSeen: formatAge(node.last_seen_ms),
    id: node.id,
  };
}

function createRow(id) {
  const row = document.createElement('tr');
  row.dataset.nodeId = id;
  for (const column of COLUMNS) {
    const cell = document.createElement('td');
    cell.dataset.column = column;
    if (column === 'state') {
      const badge = document.createElement('span');
      badge.className = 'badge';
      cell.append(badge);
    }
    row.append(cell);
  }
  return row;
}

function updateRow(row, node) {
  const values = cellValues(node);
  for (const cell of row.cells) {
    const column = cell.dataset.column;
    const target = column === 'state' ? cell.firstElementChild : cell;
    if (target.textContent !== values[column]) {
      target.textContent = values[column];
    }
  }
  row.dataset.state = node.state;
  row.cells[1].firstElementChild.className = `badge state-${node.state}`;
}

function render(nodes) {
  const seen = new Set();
  nodes.forEach((node, index) => {
    seen.add(node.id);
    let row = rows.get(node.id);
    if (!row) {
      row = createRow(node.id);
      rows.set(node.id, row);
    }
    updateRow(row, node);
    if (tbody.children[index] !== row) {
      tbody.insertBefore(row, tbody.children[index] ?? null);
    }
  });
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      row.remove();
      rows.delete(id);
    }
  }

  const counts = {};
  for (const node of nodes) {
    counts[node.state] = (counts[node.state] ?? 0) + 1;
  }
  const parts = Object.entries(counts).map(([state, count]) => `${count} ${state}`);
  summary.textContent = `${nodes.length} node${nodes.length === 1 ? '' : 's'}` +
    (parts.length ? `: ${parts.join(', ')}` : '');
  empty.hidden = nodes.length > 0;
}

const nodes = new Map(); // node id -> node JSON, as GET /api/nodes returns it
let renderTimer = null;
let reloading = false;

function byName(a, b) {
  const left = (a.name || a.id).toLowerCase();
  const right = (b.name || b.id).toLowerCase();
  if (left !== right) {
    return left < right ? -1 : 1;
  }
  if (a.id === b.id) {
    return 0;
  }
  return a.id < b.id ? -1 : 1;
}

function renderNow() {
  clearTimeout(renderTimer);
  renderTimer = null;
  render([...nodes.values()].sort(byName));
}

function scheduleRender() {
  renderTimer ??= setTimeout(renderNow, RENDER_DELAY_MS);
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

async function reload() {
  if (reloading) {
    return;
  }
  reloading = true;
  try {
    const response = await fetch('/api/nodes', { cache: 'no-store' });
    if (!response.ok) {
      throw new Error(`GET /api/nodes returned HTTP ${response.status}`);
    }
    const body = await response.json();
    nodes.clear();
    for (const node of body.nodes) {
      nodes.set(node.id, node);
    }
    renderNow();
    errorBox.hidden = true;
  } catch (error) {
    showError(`Cannot reach the hub: ${error.message}. Retrying…`);
    setTimeout(reload, RELOAD_RETRY_MS);
  } finally {
    reloading = false;
  }
}

function applyNode(event) {
  const data = JSON.parse(event.data);
  if (data.node?.id) {
    nodes.set(data.node.id, data.node);
    scheduleRender();
  }
}

function connect() {
  const stream = new EventSource('/api/stream');
  let opened = false;
  stream.addEventListener('node.update', applyNode);
  stream.addEventListener('node.state', applyNode);
  stream.addEventListener('node.removed', (event) => {
    nodes.delete(JSON.parse(event.data).id);
    scheduleRender();
  });
  stream.addEventListener('reset', reload);
  stream.addEventListener('dropped', reload);
  stream.addEventListener('open', () => {
    errorBox.hidden = true;
    if (opened) {
      reload(); // the hub may have restarted: its events before the reconnect are unknown
    }
    opened = true;
  });
  stream.addEventListener('error', () => {
    showError('The live update stream from the hub is down. Reconnecting…');
  });
}

// `?snapshot` renders the list once without the live stream: headless screenshots and DOM dumps
// wait for the page's network to go quiet, which an open stream never does.
if (new URLSearchParams(window.location.search).has('snapshot')) {
  reload();
} else {
  connect();
  reload();
  setInterval(renderNow, AGE_REFRESH_MS);
}
