// The fleet's node table: filter, text search and sort on the client, rendered with keyed row
// reuse. Past VIRTUAL_THRESHOLD rows only the rows in view (plus OVERSCAN_ROWS on each side)
// are in the DOM, between two spacer rows, so 2,000 nodes cost as much to render as 60.

import { element, setText } from './dom.js';
import { DASH, formatAddress, formatAge, formatDuration, nodeFields } from './format.js';

const ROW_HEIGHT_PX = 34; // must match `#nodes tbody tr` in style.css
const VIRTUAL_THRESHOLD = 150;
const OVERSCAN_ROWS = 12;
const STATE_RANK = { offline: 0, degraded: 1, discovered: 2, online: 3, gone: 4 };
const RECORDER_RANK = {
  recording: 0, stalled: 1, stopping: 2, paused: 3, idle: 4, disabled: 5, unknown: 6,
};

// Column name -> how a node shows in it, and its sort key.
const COLUMNS = {
  name: { text: (n, f) => f.name, key: (n, f) => f.name.toLowerCase() },
  state: { text: (n) => n.state, key: (n) => STATE_RANK[n.state] ?? 9 },
  recorder: { text: (n, f) => f.recorder, key: (n, f) => RECORDER_RANK[f.recorder] ?? 9 },
  reason: { text: (n, f) => f.reason, key: (n, f) => f.reason.toLowerCase() },
  lastSeen: {
    text: (n, f, now) => formatAge(n.last_seen_ms, now),
    key: (n) => -(n.last_seen_ms ?? 0),
  },
  idle: { text: (n, f) => formatDuration(f.idleSeconds), key: (n, f) => f.idleSeconds ?? -1 },
  controller: { text: (n, f) => f.controller ?? DASH, key: (n, f) => f.controller ?? '' },
  session: { text: (n, f) => f.session ?? DASH, key: (n, f) => f.session ?? '' },
  version: { text: (n, f) => f.version ?? DASH, key: (n, f) => f.version ?? '' },
  address: { text: (n) => formatAddress(n), key: (n) => formatAddress(n) },
};

function compareKeys(left, right) {
  if (left === right) {
    return 0;
  }
  return left < right ? -1 : 1;
}

// Lower-case text that the search box matches: the fields GET /api/nodes?q= searches too.
function searchText(node, fields) {
  const parts = [node.id, fields.name, fields.version, fields.session, ...fields.labels];
  for (const entry of node.addresses ?? []) {
    parts.push(entry.address, entry.host);
  }
  return parts.filter(Boolean).join('\n').toLowerCase();
}

export class NodeTable {
  // `table`: the <table id="nodes"> of index.html; `scroller`: its scrolling container.
  constructor(store, table, scroller, controls) {
    this.store = store;
    this.table = table;
    this.tbody = table.tBodies[0];
    this.scroller = scroller;
    this.controls = controls; // {search, state, recorder, count}
    this.columns = [...table.tHead.rows[0].cells].map((cell) => cell.dataset.column);
    this.sort = { column: 'name', descending: false };
    this.view = []; // [{node, fields}] after filter and sort
    this.viewRevision = -1;
    this.rows = new Map(); // node id -> <tr> in the DOM
    this.spareRows = [];
    this.fieldCache = new WeakMap(); // node JSON -> {fields, search}
    this.frame = null;

    this.topSpacer = this.spacerRow();
    this.bottomSpacer = this.spacerRow();
    this.tbody.append(this.topSpacer, this.bottomSpacer);
    this.bindControls(table);
  }

  spacerRow() {
    const cell = element('td', { colSpan: this.columns.length });
    return element('tr', { className: 'spacer', 'aria-hidden': 'true' }, cell);
  }

  bindControls(table) {
    for (const header of table.tHead.rows[0].cells) {
      header.querySelector('button')?.addEventListener('click', () => {
        const column = header.dataset.column;
        const descending = this.sort.column === column ? !this.sort.descending : false;
        this.sort = { column, descending };
        this.invalidate();
      });
    }
    const { search, state, recorder } = this.controls;
    for (const control of [search, state, recorder]) {
      control.addEventListener('input', () => this.invalidate());
    }
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
  }

  invalidate() {
    this.viewRevision = -1;
    this.schedule();
  }

  // Render on the next animation frame; many calls in one frame cause one render.
  schedule() {
    this.frame ??= requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  cached(node) {
    let entry = this.fieldCache.get(node);
    if (!entry) {
      const fields = nodeFields(node);
      entry = { fields, search: searchText(node, fields) };
      this.fieldCache.set(node, entry);
    }
    return entry;
  }

  computeView() {
    const text = this.controls.search.value.trim().toLowerCase();
    const state = this.controls.state.value;
    const recorder = this.controls.recorder.value;
    const column = COLUMNS[this.sort.column];
    const view = [];
    for (const node of this.store.nodes.values()) {
      const { fields, search } = this.cached(node);
      if ((state && node.state !== state) || (recorder && fields.recorder !== recorder) ||
          (text && !search.includes(text))) {
        continue;
      }
      view.push({ node, fields, key: column.key(node, fields) });
    }
    const direction = this.sort.descending ? -1 : 1;
    view.sort((a, b) => direction * compareKeys(a.key, b.key) ||
      compareKeys(a.node.id, b.node.id));
    this.view = view;
    this.viewRevision = this.store.revision;
  }

  // The [start, end) slice of the view to put in the DOM.
  visibleRange() {
    if (this.view.length <= VIRTUAL_THRESHOLD) {
      return [0, this.view.length];
    }
    const headerHeight = this.table.tHead.offsetHeight;
    const top = Math.max(0, this.scroller.scrollTop - headerHeight);
    const first = Math.floor(top / ROW_HEIGHT_PX);
    const count = Math.ceil(this.scroller.clientHeight / ROW_HEIGHT_PX);
    return [Math.max(0, first - OVERSCAN_ROWS),
      Math.min(this.view.length, first + count + OVERSCAN_ROWS)];
  }

  render() {
    if (this.viewRevision !== this.store.revision) {
      this.computeView();
    }
    const now = Date.now();
    const [start, end] = this.visibleRange();
    const wanted = new Set();
    let previous = this.topSpacer;
    for (let index = start; index < end; index += 1) {
      const entry = this.view[index];
      wanted.add(entry.node.id);
      const row = this.rowFor(entry.node.id);
      this.updateRow(row, entry, index, now);
      if (previous.nextSibling !== row) {
        previous.after(row);
      }
      previous = row;
    }
    for (const [id, row] of this.rows) {
      if (!wanted.has(id)) {
        row.remove();
        this.rows.delete(id);
        this.spareRows.push(row);
      }
    }
    this.topSpacer.hidden = start === 0;
    this.topSpacer.firstChild.style.height = `${start * ROW_HEIGHT_PX}px`;
    this.bottomSpacer.hidden = end === this.view.length;
    this.bottomSpacer.firstChild.style.height = `${(this.view.length - end) * ROW_HEIGHT_PX}px`;
    this.renderHeader();
  }

  renderHeader() {
    for (const header of this.table.tHead.rows[0].cells) {
      const sorted = header.dataset.column === this.sort.column;
      const order = this.sort.descending ? 'descending' : 'ascending';
      header.setAttribute('aria-sort', sorted ? order : 'none');
    }
    this.table.setAttribute('aria-rowcount', String(this.view.length + 1));
    const total = this.store.nodes.size;
    setText(this.controls.count, this.view.length === total
      ? `${total} node${total === 1 ? '' : 's'}`
      : `${this.view.length} of ${total} nodes match`);
  }

  rowFor(id) {
    let row = this.rows.get(id);
    if (!row) {
      row = this.spareRows.pop() ?? this.createRow();
      row.dataset.nodeId = id;
      row.renderedNode = null;
      this.rows.set(id, row);
    }
    return row;
  }

  createRow() {
    const row = element('tr');
    for (const column of this.columns) {
      const cell = element('td', { 'data-column': column });
      if (column === 'name') {
        cell.append(element('a'));
      } else if (column === 'state' || column === 'recorder') {
        cell.append(element('span', { className: 'badge' }));
      }
      row.append(cell);
    }
    return row;
  }

  updateRow(row, entry, index, now) {
    row.setAttribute('aria-rowindex', String(index + 2));
    const { node, fields } = entry;
    if (row.renderedNode !== node) {
      row.renderedNode = node;
      row.dataset.state = node.state;
      row.dataset.recorder = fields.recorder;
      const link = row.cells[this.columns.indexOf('name')].firstChild;
      link.href = `#/node/${encodeURIComponent(node.id)}`;
    }
    for (const [position, cell] of [...row.cells].entries()) {
      const column = this.columns[position];
      const text = COLUMNS[column].text(node, fields, now);
      const target = cell.firstChild?.nodeType === Node.ELEMENT_NODE ? cell.firstChild : cell;
      setText(target, text);
      if (column === 'state' || column === 'recorder') {
        const className = `badge ${column}-${text}`;
        if (target.className !== className) {
          target.className = className;
        }
      } else if (column === 'reason' && cell.title !== text) {
        cell.title = text;
      }
    }
  }
}
