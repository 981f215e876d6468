// Time series charts on uPlot, loaded from the hub's copy of the npm package (web/vendor/).
// A chart is created once and updated in place with setData(). Only a theme change rebuilds it,
// because uPlot reads its axis and series colours at creation.

import { element, setText } from './dom.js';

const DEFAULT_HEIGHT = 220;
const SERIES_COLOURS = ['--chart-1', '--chart-2', '--chart-3', '--chart-4'];

let libraryPromise = null;

// Resolve to the uPlot constructor, or null when web/vendor/uplot is missing.
function loadLibrary() {
  libraryPromise ??= import('/vendor/uplot/uPlot.esm.js')
    .then((module) => module.default)
    .catch(() => null);
  return libraryPromise;
}

function cssVariable(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export class TimeChart {
  // `series`: [{label, unit}] for the y values; `title` names the chart for screen readers.
  constructor(container, { title, series, height = DEFAULT_HEIGHT }) {
    this.title = title;
    this.series = series;
    this.height = height;
    this.data = null;
    this.range = null;
    this.plot = null;
    this.status = element('p', { className: 'chart-status' }, 'Loading…');
    this.area = element('div', { className: 'chart-area', role: 'img', 'aria-label': title });
    container.replaceChildren(this.status, this.area);
    this.container = container;

    new ResizeObserver(() => this.resize()).observe(container);
    document.addEventListener('themechange', () => this.rebuild());
  }

  // Show a message in place of the chart, such as "No telemetry yet".
  showEmpty(message) {
    this.data = null;
    setText(this.status, message);
    this.status.hidden = false;
    this.area.hidden = true;
  }

  // `times` in epoch milliseconds; `values` one array per series, null for a gap; `range`
  // [from_ms, to_ms] is the time axis, else the span of `times`.
  async setData(times, values, range = null) {
    this.data = [times.map((ms) => ms / 1000), ...values];
    this.range = range && [range[0] / 1000, range[1] / 1000];
    const library = await loadLibrary();
    if (!library) {
      this.showEmpty('Charts need web/vendor/uplot: run scripts/setup.sh on the hub.');
      return;
    }
    if (!this.data) {
      return; // showEmpty() came in while the library loaded
    }
    this.status.hidden = true;
    this.area.hidden = false;
    if (!this.plot) {
      this.plot = new library(this.options(), this.data, this.area);
    } else {
      this.plot.setData(this.data);
    }
    this.describe();
  }

  describe() {
    const latest = this.series.map((entry, index) => {
      const column = this.data[index + 1];
      const value = column[column.length - 1];
      return `${entry.label} ${value === null || value === undefined ? 'none' : value.toFixed(2)}`;
    });
    this.area.setAttribute('aria-label', `${this.title}; latest: ${latest.join(', ')}`);
  }

  options() {
    const axisColour = cssVariable('--muted');
    const gridColour = cssVariable('--border');
    const axis = { stroke: axisColour, grid: { stroke: gridColour, width: 1 },
      ticks: { stroke: gridColour, width: 1 } };
    const unit = this.series[0]?.unit ?? '';
    return {
      width: Math.max(200, this.container.clientWidth),
      height: this.height,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      // One point alone would make uPlot stretch the axis over years.
      scales: { x: { time: true, range: (_, min, max) => this.range ?? [min - 60, max + 60] } },
      axes: [axis, { ...axis, size: 76, values: (_, ticks) => ticks.map((v) => `${v}${unit}`) }],
      series: [
        { label: 'time' },
        ...this.series.map((entry, index) => ({
          label: entry.label,
          stroke: cssVariable(SERIES_COLOURS[index % SERIES_COLOURS.length]),
          width: 2,
          spanGaps: false,
          value: (_, v) => (v === null || v === undefined ? '—' : `${v.toFixed(2)}${unit}`),
        })),
      ],
    };
  }

  resize() {
    if (this.plot && this.container.clientWidth > 0) {
      this.plot.setSize({ width: this.container.clientWidth, height: this.height });
    }
  }

  rebuild() {
    if (!this.plot) {
      return;
    }
    this.plot.destroy();
    this.plot = null;
    if (this.data) {
      const [seconds, ...values] = this.data;
      const range = this.range && [this.range[0] * 1000, this.range[1] * 1000];
      this.setData(seconds.map((s) => s * 1000), values, range);
    }
  }
}
