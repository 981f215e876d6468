// The hub's node list, kept current from the Server-Sent Events of GET /api/stream.
//
// The full list is loaded at start, after a `reset` or `dropped` event and after the stream
// reconnects. changed() calls the listeners at most once per animation frame, however many
// events arrived, so a burst of updates causes one render.

import { getJson } from './api.js';

const RELOAD_RETRY_MS = 2000;
const NODE_EVENTS = ['node.update', 'node.state'];
const RECORDER_STATES = ['disabled', 'idle', 'recording', 'paused', 'stopping', 'stalled'];

function knownRecorderState(value) {
  return RECORDER_STATES.includes(value) ? value : 'unknown';
}

// Fill in `recorder_state` and `labels` the way GET /api/nodes derives them, because the nodes
// in the event stream's messages come without them: the newest /state wins over TXT.
export function normalizeNode(node) {
  if (!node.recorder_state) {
    const reported = node.node_state?.recorder?.state ?? node.txt?.state;
    node.recorder_state = knownRecorderState(reported);
  }
  if (!node.labels) {
    const labels = node.node_state?.labels ?? node.txt?.labels?.split(',') ?? [];
    node.labels = labels.map((label) => label.trim()).filter(Boolean);
  }
  return node;
}

export class NodeStore {
  constructor() {
    this.nodes = new Map(); // node id -> node JSON, as GET /api/nodes returns it
    this.revision = 0; // increases on every change, so views can skip unchanged work
    this.loaded = false;
    this.error = null;
    this.streamState = 'connecting'; // connecting | live | down
    this.listeners = new Set();
    this.eventListeners = new Set();
    this.frame = null;
    this.reloading = false;
  }

  // Call `listener(store)` after changes, batched to one call per animation frame.
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Call `listener(data)` for each `events` message: records newly ingested from a node.
  subscribeEvents(listener) {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  get(id) {
    return this.nodes.get(id);
  }

  changed() {
    this.revision += 1;
    this.frame ??= requestAnimationFrame(() => {
      this.frame = null;
      for (const listener of this.listeners) {
        listener(this);
      }
    });
  }

  async reload() {
    if (this.reloading) {
      return;
    }
    this.reloading = true;
    const result = await getJson('/api/nodes');
    this.reloading = false;
    if (!result.ok || !Array.isArray(result.body?.nodes)) {
      this.error = `Cannot load the node list: ${result.detail ?? 'no nodes in the reply'}. ` +
        'Retrying…';
      this.changed();
      setTimeout(() => this.reload(), RELOAD_RETRY_MS);
      return;
    }
    this.nodes.clear();
    for (const node of result.body.nodes) {
      this.nodes.set(node.id, normalizeNode(node));
    }
    this.loaded = true;
    this.error = null;
    this.changed();
  }

  // Follow GET /api/stream. EventSource reconnects by itself and sends Last-Event-ID, so the
  // hub replays what was missed or sends `reset`.
  connect() {
    const stream = new EventSource('/api/stream');
    let opened = false;
    const applyNode = (event) => {
      const data = JSON.parse(event.data);
      if (data.node?.id) {
        this.nodes.set(data.node.id, normalizeNode(data.node));
        this.changed();
      }
    };
    for (const type of NODE_EVENTS) {
      stream.addEventListener(type, applyNode);
    }
    stream.addEventListener('node.removed', (event) => {
      this.nodes.delete(JSON.parse(event.data).id);
      this.changed();
    });
    stream.addEventListener('events', (event) => {
      const data = JSON.parse(event.data);
      for (const listener of this.eventListeners) {
        listener(data);
      }
    });
    stream.addEventListener('reset', () => this.reload());
    stream.addEventListener('dropped', () => this.reload());
    stream.addEventListener('open', () => {
      this.streamState = 'live';
      if (opened) {
        this.reload(); // the hub may have restarted: its events before the reconnect are unknown
      }
      opened = true;
      this.changed();
    });
    stream.addEventListener('error', () => {
      this.streamState = 'down';
      this.changed();
    });
  }
}
