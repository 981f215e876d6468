// Definition lists that keep one <dt>/<dd> pair per term and update the values in place.

import { element, setText } from './dom.js';

export class KeyValueList {
  constructor(list) {
    this.list = list;
    this.items = new Map(); // term -> <dd>
  }

  // `entries`: [[term, value, className?]]; terms missing from `entries` are removed.
  update(entries) {
    const seen = new Set();
    for (const [term, value, className] of entries) {
      seen.add(term);
      let definition = this.items.get(term);
      if (!definition) {
        definition = element('dd');
        this.list.append(element('dt', {}, term), definition);
        this.items.set(term, definition);
      }
      setText(definition, String(value));
      definition.className = className ?? '';
    }
    for (const [term, definition] of this.items) {
      if (!seen.has(term)) {
        definition.previousElementSibling.remove();
        definition.remove();
        this.items.delete(term);
      }
    }
  }

  // Change the value of one term that update() already added.
  set(term, value) {
    const definition = this.items.get(term);
    if (definition) {
      setText(definition, String(value));
    }
  }
}

// A horizontal bar split into parts proportional to `parts`: [{label, value, className}].
export function updateSplitBar(bar, parts) {
  const total = parts.reduce((sum, part) => sum + part.value, 0);
  while (bar.children.length < parts.length) {
    bar.append(element('span'));
  }
  parts.forEach((part, index) => {
    const segment = bar.children[index];
    segment.className = part.className;
    segment.style.width = total > 0 ? `${(100 * part.value) / total}%` : '0';
    segment.title = part.label;
  });
  bar.hidden = total <= 0;
}
