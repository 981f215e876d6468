// The metric list of GET /api/telemetry as a <select>, and helpers for its series.

import { describeFailure, getJson } from './api.js';
import { element } from './dom.js';

const PREFERRED_METRIC = 'recording.api_start.latency';

export class MetricPicker {
  constructor(select, onChange) {
    this.select = select;
    this.failure = 'No telemetry yet.';
    select.addEventListener('change', onChange);
  }

  // Load the metric names seen by the hub, keeping the current choice when it is still listed.
  async load(preferred) {
    const result = await getJson('/api/telemetry');
    const metrics = result.ok ? result.body.metrics ?? [] : [];
    this.failure = result.ok
      ? 'No telemetry in the last hour.'
      : describeFailure(result, 'telemetry');
    const current = preferred ?? this.select.value;
    const names = metrics.map((metric) => metric.name);
    const options = metrics.map((metric) =>
      element('option', { value: metric.name }, `${metric.name} (${metric.count})`));
    this.select.replaceChildren(...options);
    this.select.disabled = names.length === 0;
    const label = this.select.closest('label');
    if (label) {
      label.hidden = names.length === 0; // an empty list is no choice
    }
    if (names.includes(current)) {
      this.select.value = current;
    } else if (names.includes(PREFERRED_METRIC)) {
      this.select.value = PREFERRED_METRIC;
    }
    return names;
  }

  value() {
    return this.select.disabled ? null : this.select.value || null;
  }

  emptyMessage() {
    return this.failure;
  }
}

// Split the rollup points of GET /api/telemetry?metric=M into chart columns.
export function percentileSeries(points, reply = {}) {
  return {
    range: reply.since_ms && reply.until_ms ? [reply.since_ms, reply.until_ms] : null,
    times: points.map((point) => point.t_ms),
    values: ['p50', 'p90', 'p99'].map((name) => points.map((point) => point[name] ?? null)),
  };
}
