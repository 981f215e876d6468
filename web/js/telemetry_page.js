// Fleet telemetry: one metric's percentiles over time, fleet-wide, and a per-node comparison
// over the same window (GET /api/telemetry?metric=M and ?metric=M&by=node).

import { describeFailure, getJson, query } from './api.js';
import { byId, element, setText } from './dom.js';
import { formatCount, formatDuration, formatMs } from './format.js';
import { MetricPicker, percentileSeries } from './metrics.js';
import { TimeChart } from './charts.js';

const REFRESH_MS = 60_000;
const COMPARE_COLUMNS = ['count', 'mean', 'p50', 'p90', 'p99', 'max'];

export class TelemetryPage {
  constructor() {
    this.section = byId('page-telemetry');
    this.windowSelect = byId('telemetry-window');
    this.metrics = new MetricPicker(byId('telemetry-metric'), () => this.load());
    this.windowSelect.addEventListener('change', () => this.load());
    this.chart = new TimeChart(byId('telemetry-chart'), {
      title: 'Fleet-wide percentiles of the chosen metric',
      series: [{ label: 'p50', unit: ' ms' }, { label: 'p90', unit: ' ms' },
        { label: 'p99', unit: ' ms' }],
      height: 280,
    });
    this.timer = null;
  }

  async show() {
    this.section.hidden = false;
    await this.metrics.load();
    this.load();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.load(), REFRESH_MS);
  }

  hide() {
    this.section.hidden = true;
    clearInterval(this.timer);
  }

  tick() {}

  load() {
    const metric = this.metrics.value();
    const window = Number(this.windowSelect.value);
    setText(byId('telemetry-window-note'), `Window: ${formatDuration(window)}.`);
    if (!metric) {
      this.chart.showEmpty(this.metrics.emptyMessage());
      this.showComparison([], this.metrics.emptyMessage());
      return;
    }
    this.loadSeries(metric, window);
    this.loadComparison(metric, window);
  }

  async loadSeries(metric, window) {
    const result = await getJson(`/api/telemetry${query({ metric, window })}`);
    const points = result.ok ? result.body.points ?? [] : [];
    if (!result.ok) {
      this.chart.showEmpty(describeFailure(result, 'telemetry'));
    } else if (points.length === 0) {
      this.chart.showEmpty(`No ${metric} values in this window.`);
    } else {
      const { times, values, range } = percentileSeries(points, result.body);
      this.chart.setData(times, values, range);
    }
  }

  async loadComparison(metric, window) {
    const result = await getJson(`/api/telemetry${query({ metric, by: 'node', window })}`);
    if (!result.ok) {
      this.showComparison([], describeFailure(result, 'per-node comparison'));
      return;
    }
    const nodes = [...(result.body.nodes ?? [])].sort((a, b) => (b.p99 ?? 0) - (a.p99 ?? 0));
    this.showComparison(nodes, `No node reported ${metric} in this window.`);
  }

  // One row per node, slowest p99 first, with a bar of its p99 against the slowest.
  showComparison(nodes, emptyMessage) {
    const slowest = Math.max(0, ...nodes.map((node) => node.p99 ?? 0));
    const rows = nodes.map((node) => {
      const link = element('a', { href: `#/node/${encodeURIComponent(node.node_id)}` },
        node.name || node.node_id);
      const bar = element('span', { className: 'compare-bar' });
      bar.style.width = slowest > 0 ? `${(100 * (node.p99 ?? 0)) / slowest}%` : '0';
      const cells = COMPARE_COLUMNS.map((column) => element('td', { className: 'number' },
        column === 'count' ? formatCount(node.count) : formatMs(node[column])));
      return element('tr', {}, element('th', { scope: 'row' }, link), ...cells,
        element('td', { className: 'bar-cell', 'aria-hidden': 'true' }, bar));
    });
    byId('telemetry-nodes').tBodies[0].replaceChildren(...rows);
    const note = byId('telemetry-nodes-note');
    note.hidden = rows.length > 0;
    setText(note, emptyMessage);
  }
}
