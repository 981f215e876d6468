// The node page's state timeline: one strip for the hub's state of the node and one for its
// recorder, each a row of coloured spans over the chosen window. The spans come from the hub's
// stored samples, or from the node's state transitions where there are no samples.

import { element, setText } from './dom.js';
import { formatClock, formatDuration } from './format.js';

// Build spans [{from_ms, to_ms, value}] from points [{at_ms, value}] sorted oldest first. Each
// point's value lasts until the next point, and the last one until `until_ms`.
export function spansFromPoints(points, since_ms, until_ms) {
  const spans = [];
  points.forEach((point, index) => {
    const from = Math.max(point.at_ms, since_ms);
    const to = Math.min(points[index + 1]?.at_ms ?? until_ms, until_ms);
    if (to <= from) {
      return;
    }
    const last = spans[spans.length - 1];
    if (last && last.value === point.value && last.to_ms === from) {
      last.to_ms = to;
    } else {
      spans.push({ from_ms: from, to_ms: to, value: point.value });
    }
  });
  return spans;
}

// Points of the hub state from the transitions in a node's `history`.
export function pointsFromHistory(history) {
  return (history ?? []).map((entry) => ({ at_ms: entry.at_ms, value: entry.to }))
    .sort((a, b) => a.at_ms - b.at_ms);
}

export class StateTimeline {
  constructor(container) {
    this.strips = new Map();
    this.container = container;
    this.axis = element('div', { className: 'timeline-axis' },
      element('span'), element('span'));
    container.append(this.axis);
  }

  strip(name) {
    let strip = this.strips.get(name);
    if (!strip) {
      const bar = element('div', { className: 'timeline-bar', role: 'list' });
      strip = { label: element('span', { className: 'timeline-label' }, name), bar };
      this.container.insertBefore(element('div', { className: 'timeline-row' }, strip.label, bar),
        this.axis);
      this.strips.set(name, strip);
    }
    return strip;
  }

  // Draw `spans` in the strip `name`; `prefix` starts each span's class (state- or recorder-).
  update(name, spans, prefix, since_ms, until_ms) {
    const { bar } = this.strip(name);
    const width = until_ms - since_ms;
    const segments = spans.map((span) => {
      const label = `${span.value} from ${formatClock(span.from_ms)} for ` +
        formatDuration((span.to_ms - span.from_ms) / 1000);
      const segment = element('span', {
        className: `timeline-span ${prefix}${span.value}`, role: 'listitem', title: label,
        'aria-label': label,
      });
      segment.style.left = `${(100 * (span.from_ms - since_ms)) / width}%`;
      segment.style.width = `${(100 * (span.to_ms - span.from_ms)) / width}%`;
      return segment;
    });
    bar.replaceChildren(...segments);
    if (segments.length === 0) {
      bar.append(element('span', { className: 'timeline-empty' }, 'no data'));
    }
    setText(this.axis.children[0], formatClock(since_ms));
    setText(this.axis.children[1], formatClock(until_ms));
  }
}
