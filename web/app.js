// Fleet overview: lists the hub's nodes and refreshes the table in place.
// NOTE: the table is refreshed by polling GET /api/nodes every second; a Server-Sent Events
// stream from the hub will replace the polling.

const REFRESH_MS = 1000;
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

async function refresh() {
  try {
    const response = await fetch('/api/nodes', { cache: 'no-store' });
    if (!response.ok) {
      throw new Error(`GET /api/nodes returned HTTP ${response.status}`);
    }
    const body = await response.json();
    render(body.nodes);
    errorBox.hidden = true;
  } catch (error) {
    errorBox.textContent = `Cannot reach the hub: ${error.message}. Retrying…`;
    errorBox.hidden = false;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
