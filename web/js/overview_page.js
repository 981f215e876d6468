// Fleet overview: live counts from the node list, recording and pause time and auto-pause
// savings from GET /api/fleet/summary, a fleet telemetry chart and the node table.

import { describeFailure, getJson, query } from './api.js';
import { byId, setText } from './dom.js';
import { formatCount, formatDuration } from './format.js';
import { KeyValueList, updateSplitBar } from './summary_cards.js';
import { MetricPicker, percentileSeries } from './metrics.js';
import { NodeTable } from './node_table.js';
import { TimeChart } from './charts.js';

const SUMMARY_WINDOW_S = 3600;
const SUMMARY_REFRESH_MS = 30_000;
const STATES = ['online', 'degraded', 'offline', 'discovered', 'gone'];
const RECORDER_STATES = ['recording', 'paused', 'stopping', 'stalled', 'idle', 'disabled',
  'unknown'];

export class OverviewPage {
  constructor(store) {
    this.store = store;
    this.section = byId('page-overview');
    this.summaryLine = byId('summary');
    this.stateCounts = new KeyValueList(byId('counts-state'));
    this.recorderCounts = new KeyValueList(byId('counts-recorder'));
    this.timeSplit = new KeyValueList(byId('time-split'));
    this.savings = new KeyValueList(byId('savings'));
    this.table = new NodeTable(store, byId('nodes'), byId('table-scroll'), {
      search: byId('node-search'),
      state: byId('filter-state'),
      recorder: byId('filter-recorder'),
      count: byId('table-count'),
    });
    this.chart = new TimeChart(byId('overview-chart'), {
      title: 'Fleet-wide percentiles of the chosen metric, last hour',
      series: [{ label: 'p50', unit: ' ms' }, { label: 'p90', unit: ' ms' },
        { label: 'p99', unit: ' ms' }],
    });
    this.metrics = new MetricPicker(byId('overview-metric'), () => this.loadChart());
    this.timer = null;
    store.subscribe(() => this.renderCounts());
  }

  show() {
    this.section.hidden = false;
    this.table.invalidate();
    this.renderCounts();
    this.refresh();
    this.timer = setInterval(() => this.refresh(), SUMMARY_REFRESH_MS);
  }

  hide() {
    this.section.hidden = true;
    clearInterval(this.timer);
  }

  // Called once a second: ages in the table count up without new data.
  tick() {
    if (!this.section.hidden) {
      this.table.schedule();
    }
  }

  async refresh() {
    this.loadSummary();
    await this.metrics.load();
    this.loadChart();
  }

  renderCounts() {
    if (this.section.hidden) {
      return;
    }
    this.table.schedule();
    const byState = Object.fromEntries(STATES.map((state) => [state, 0]));
    const byRecorder = Object.fromEntries(RECORDER_STATES.map((state) => [state, 0]));
    for (const node of this.store.nodes.values()) {
      byState[node.state] = (byState[node.state] ?? 0) + 1;
      const recorder = node.recorder_state ?? 'unknown';
      byRecorder[recorder] = (byRecorder[recorder] ?? 0) + 1;
    }
    this.stateCounts.update(Object.entries(byState)
      .map(([state, count]) => [state, count, `count state-${state}`]));
    this.recorderCounts.update(Object.entries(byRecorder)
      .map(([state, count]) => [state, count, `count recorder-${state}`]));

    const total = this.store.nodes.size;
    const parts = STATES.filter((state) => byState[state]).map((s) => `${byState[s]} ${s}`);
    let line = this.store.loaded
      ? `${total} node${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`
      : 'Loading nodes…';
    if (this.store.loaded && total === 0) {
      line = 'No nodes yet. Start a winebot-node on this network and it appears here.';
    }
    setText(this.summaryLine, line);
  }

  async loadSummary() {
    const result = await getJson(`/api/fleet/summary${query({ window: SUMMARY_WINDOW_S })}`);
    const note = byId('time-note');
    if (!result.ok) {
      this.timeSplit.update([]);
      this.savings.update([]);
      updateSplitBar(byId('time-bar'), []);
      setText(note, describeFailure(result, 'recording time'));
      setText(byId('savings-note'), describeFailure(result, 'auto-pause figures'));
      return;
    }
    const summary = result.body;
    const time = summary.time_seconds ?? {};
    this.timeSplit.update([
      ['recording', formatDuration(time.recording ?? 0), 'recorder-recording'],
      ['paused by hand', formatDuration(time.paused_manual ?? 0), 'recorder-paused'],
      ['paused for inactivity', formatDuration(time.paused_inactivity ?? 0), 'recorder-auto'],
      ['idle', formatDuration(time.idle ?? 0), 'recorder-idle'],
    ]);
    updateSplitBar(byId('time-bar'), [
      { label: 'recording', value: time.recording ?? 0, className: 'recorder-recording' },
      { label: 'paused by hand', value: time.paused_manual ?? 0, className: 'recorder-paused' },
      { label: 'paused for inactivity', value: time.paused_inactivity ?? 0,
        className: 'recorder-auto' },
      { label: 'idle', value: time.idle ?? 0, className: 'recorder-idle' },
    ]);
    setText(note, `Node time over the last ${formatDuration(summary.window_seconds)}.`);
    this.savings.update([
      ['automatic pauses', formatCount(summary.auto_pauses)],
      ['automatic resumes', formatCount(summary.auto_resumes)],
      ['CPU time saved', `≈ ${formatDuration(summary.estimated_cpu_seconds_saved)}`],
    ]);
    setText(byId('savings-note'), `Estimate: time paused for inactivity × ` +
      `${summary.recording_cpu_cores} cores, the CPU that one recording uses.`);
  }

  async loadChart() {
    const metric = this.metrics.value();
    if (!metric) {
      this.chart.showEmpty(this.metrics.emptyMessage());
      return;
    }
    const result = await getJson(`/api/telemetry${query({ metric, window: SUMMARY_WINDOW_S })}`);
    if (!result.ok) {
      this.chart.showEmpty(describeFailure(result, 'telemetry'));
      return;
    }
    const points = result.body.points ?? [];
    if (points.length === 0) {
      this.chart.showEmpty(`No ${metric} values in the last hour.`);
      return;
    }
    const { times, values, range } = percentileSeries(points, result.body);
    this.chart.setData(times, values, range);
  }
}
