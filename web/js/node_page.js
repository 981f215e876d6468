// One node: its state, details, screen thumbnail, recording controls, state timeline, latency
// charts and recent events. The header and details follow the live node list. The rest is
// fetched when the page opens, then on a timer, and the events also when the hub streams new
// ones.

import { describeFailure, getJson, query } from './api.js';
import { byId, element, setText } from './dom.js';
import {
  DASH, formatAddress, formatAge, formatDateTime, formatDuration, formatMs, nodeFields,
} from './format.js';
import { MetricPicker, percentileSeries } from './metrics.js';
import { RecordingControls } from './recording_controls.js';
import { StateTimeline, pointsFromHistory, spansFromPoints } from './state_timeline.js';
import { KeyValueList } from './summary_cards.js';
import { TimeChart } from './charts.js';
import { defaultNoVncPort, noVncUrl, setDefaultNoVncPort } from './novnc.js';

const TIMELINE_WINDOW_MS = 3600_000;
const MIN_TIMELINE_WINDOW_MS = 120_000;
const MIN_TIMELINE_MARGIN_MS = 5000;
const REFRESH_MS = 10_000;
const SCREEN_WIDTH_PX = 480;
const EVENT_LIMIT = 40;
const EVENT_REFRESH_DELAY_MS = 1000;

function eventName(record) {
  const body = record.event ?? {};
  return body.metric ?? body.kind ?? body.event ?? body.name ?? body.type ?? DASH;
}

function eventDetail(record) {
  const body = { ...(record.event ?? {}) };
  for (const name of ['metric', 'kind', 'timestamp_epoch_ms', 't_wall_ms', 'timestamp']) {
    delete body[name];
  }
  const text = JSON.stringify(body);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

export class NodePage {
  constructor(store) {
    this.store = store;
    this.section = byId('page-node');
    this.nodeId = null;
    this.renderedNode = null;
    this.details = new KeyValueList(byId('node-details'));
    this.controls = new RecordingControls();
    this.timeline = new StateTimeline(byId('node-timeline'));
    this.latencyChart = new TimeChart(byId('node-latency-chart'), {
      title: 'Percentiles of the chosen metric on this node, last hour',
      series: [{ label: 'p50', unit: ' ms' }, { label: 'p90', unit: ' ms' },
        { label: 'p99', unit: ' ms' }],
    });
    this.probeChart = new TimeChart(byId('node-probe-chart'), {
      title: 'Latency of the hub probes of this node, last hour',
      series: [{ label: 'probe latency', unit: ' ms' }],
      height: 160,
    });
    this.metrics = new MetricPicker(byId('node-metric'), () => this.loadLatency());
    this.screen = byId('node-screen');
    this.screen.addEventListener('load', () => this.screenLoaded());
    this.screen.addEventListener('error', () => this.screenFailed());
    byId('node-screen-refresh').addEventListener('click', () => this.loadScreen());
    this.timer = null;
    this.eventsTimer = null;
    this.bindNoVncForm();
    store.subscribe(() => this.renderNode());
    store.subscribeEvents((data) => {
      if (data.node_id === this.nodeId && !this.eventsTimer) {
        this.eventsTimer = setTimeout(() => this.loadEvents(), EVENT_REFRESH_DELAY_MS);
      }
    });
  }

  bindNoVncForm() {
    const input = byId('novnc-port');
    input.value = String(defaultNoVncPort());
    byId('novnc-form').addEventListener('submit', (event) => {
      event.preventDefault();
      setDefaultNoVncPort(Number(input.value));
      this.renderedNode = null;
      this.renderNode();
    });
  }

  show(nodeId) {
    this.section.hidden = false;
    this.nodeId = nodeId;
    this.renderedNode = null;
    this.controls.setNode(nodeId);
    this.renderNode();
    this.refresh();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  hide() {
    this.section.hidden = true;
    this.nodeId = null;
    clearInterval(this.timer);
  }

  tick() {
    const node = this.nodeId && this.store.get(this.nodeId);
    if (node) {
      this.details.set('Last seen', formatAge(node.last_seen_ms));
    }
  }

  refresh() {
    this.loadScreen();
    this.loadTimeline();
    this.loadEvents();
    this.metrics.load().then(() => this.loadLatency());
  }

  renderNode() {
    if (!this.nodeId || this.section.hidden) {
      return;
    }
    const node = this.store.get(this.nodeId);
    const missing = byId('node-missing');
    missing.hidden = Boolean(node) || !this.store.loaded;
    setText(missing, `The hub knows no node with id ${this.nodeId}.`);
    if (!node || node === this.renderedNode) {
      return;
    }
    this.renderedNode = node;
    const fields = nodeFields(node);
    setText(byId('node-title'), fields.name);
    document.title = `${fields.name}: WineBot Fleet`;
    const state = byId('node-state');
    setText(state, node.state);
    state.className = `badge state-${node.state}`;
    const recorder = byId('node-recorder');
    setText(recorder, `recorder ${fields.recorder}`);
    recorder.className = `badge recorder-${fields.recorder}`;
    setText(byId('node-reason'), fields.reason);
    this.renderDetails(node, fields);
  }

  renderDetails(node, fields) {
    const rows = [
      ['Node id', node.id],
      ['Address', formatAddress(node)],
      ['Version', fields.version ?? DASH],
      ['Session', fields.session ?? DASH],
      ['Control mode', fields.controlMode ?? DASH],
      ['Controller', fields.controller ?? DASH],
      ['Idle', formatDuration(fields.idleSeconds)],
      ['Probe latency', formatMs(node.latency_ms)],
      ['First seen', formatDateTime(node.first_seen_ms)],
      ['Labels', fields.labels.length ? fields.labels.join(', ') : DASH],
      ['Last seen', formatAge(node.last_seen_ms)],
    ];
    this.details.update(rows);

    const vnc = byId('node-vnc');
    const url = noVncUrl(node);
    vnc.hidden = !url;
    if (url) {
      vnc.href = url;
    }
  }

  loadScreen() {
    if (!this.nodeId) {
      return;
    }
    const path = `/api/nodes/${encodeURIComponent(this.nodeId)}/screenshot`;
    this.screenPath = `${path}${query({ width: SCREEN_WIDTH_PX, t: Date.now() })}`;
    if (this.screen.hidden) {
      setText(byId('node-screen-note'), 'Loading the screen…');
    }
    this.screen.src = this.screenPath;
  }

  screenLoaded() {
    this.screen.hidden = false;
    byId('node-screen-placeholder').hidden = true;
    setText(byId('node-screen-note'), `Screen at ${new Date().toLocaleTimeString()}`);
  }

  // An <img> cannot read the hub's JSON error, so fetch it once to say why.
  async screenFailed() {
    this.screen.hidden = true;
    byId('node-screen-placeholder').hidden = false;
    const result = await getJson(this.screenPath);
    setText(byId('node-screen-note'), result.ok ? 'The screen image did not load.'
      : describeFailure(result, 'screen image'));
  }

  async loadTimeline() {
    const nodeId = this.nodeId;
    const until = Date.now();
    // A node first seen minutes ago gets a timeline of those minutes, not of a mostly empty hour.
    const firstSeen = this.store.get(nodeId)?.first_seen_ms ?? 0;
    const since = Math.min(until - MIN_TIMELINE_WINDOW_MS,
      Math.max(until - TIMELINE_WINDOW_MS, firstSeen - MIN_TIMELINE_MARGIN_MS));
    const path = `/api/nodes/${encodeURIComponent(nodeId)}/samples`;
    const result = await getJson(`${path}${query({ since, until, limit: 2000 })}`);
    if (nodeId !== this.nodeId) {
      return;
    }
    const node = this.store.get(nodeId);
    const samples = result.ok ? result.body.samples ?? [] : [];
    const statePoints = samples.length
      ? samples.map((sample) => ({ at_ms: sample.at_ms, value: sample.state }))
      : pointsFromHistory(node?.history);
    const recorderPoints = samples.map((s) => ({ at_ms: s.at_ms, value: s.recorder_state }));
    this.timeline.update('Hub state', spansFromPoints(statePoints, since, until), 'state-',
      since, until);
    this.timeline.update('Recorder', spansFromPoints(recorderPoints, since, until), 'recorder-',
      since, until);
    setText(byId('node-timeline-note'), result.ok
      ? `${samples.length} samples over the last ${formatDuration((until - since) / 1000)}.`
      : `${describeFailure(result, 'state samples')} The hub state comes from the node's ` +
        'transitions; the recorder strip needs samples.');
    this.renderProbeChart(samples, result, [since, until]);
    this.renderTransitions(node);
  }

  renderProbeChart(samples, result, range) {
    const measured = samples.filter((sample) => sample.latency_ms !== null);
    if (!result.ok) {
      this.probeChart.showEmpty(describeFailure(result, 'probe latency'));
    } else if (measured.length === 0) {
      this.probeChart.showEmpty('No probe latency in the last hour.');
    } else {
      this.probeChart.setData(measured.map((s) => s.at_ms), [measured.map((s) => s.latency_ms)],
        range);
    }
  }

  renderTransitions(node) {
    const history = [...(node?.history ?? [])].reverse().slice(0, 10);
    const rows = history.map((entry) => element('tr', {},
      element('td', {}, formatDateTime(entry.at_ms)),
      element('td', {}, `${entry.from} → ${entry.to}`),
      element('td', {}, entry.reason ?? '')));
    if (rows.length === 0) {
      rows.push(element('tr', {}, element('td', { colSpan: 3 }, 'No state changes yet.')));
    }
    byId('node-transitions').tBodies[0].replaceChildren(...rows);
  }

  async loadLatency() {
    const nodeId = this.nodeId;
    const metric = this.metrics.value();
    if (!metric) {
      this.latencyChart.showEmpty(this.metrics.emptyMessage());
      return;
    }
    const result = await getJson(`/api/telemetry${query({ metric, node: nodeId, window: 3600 })}`);
    if (nodeId !== this.nodeId) {
      return;
    }
    const points = result.ok ? result.body.points ?? [] : [];
    if (!result.ok) {
      this.latencyChart.showEmpty(describeFailure(result, 'telemetry'));
    } else if (points.length === 0) {
      this.latencyChart.showEmpty(`No ${metric} values from this node in the last hour.`);
    } else {
      const { times, values, range } = percentileSeries(points, result.body);
      this.latencyChart.setData(times, values, range);
    }
  }

  async loadEvents() {
    this.eventsTimer = null;
    const nodeId = this.nodeId;
    if (!nodeId) {
      return;
    }
    const path = `/api/nodes/${encodeURIComponent(nodeId)}/events`;
    const result = await getJson(`${path}${query({ limit: EVENT_LIMIT })}`);
    if (nodeId !== this.nodeId) {
      return;
    }
    const events = result.ok ? result.body.events ?? [] : [];
    const rows = events.map((record) => element('tr', {},
      element('td', {}, formatDateTime(record.event_ms)),
      element('td', {}, record.stream),
      element('td', {}, eventName(record)),
      element('td', { className: 'detail' }, eventDetail(record))));
    byId('node-events').tBodies[0].replaceChildren(...rows);
    const note = byId('node-events-note');
    note.hidden = result.ok && events.length > 0;
    setText(note, result.ok ? 'No events from this node yet.'
      : describeFailure(result, 'events'));
  }
}
