// Small DOM helpers. Text from the network goes in through textContent only, never as HTML.

// Create an element. `attributes` sets properties for names the element has (className,
// hidden, href, ...) and attributes otherwise (aria-*, data-*); children are nodes or text.
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name in node && !name.startsWith('aria') && !name.startsWith('data')) {
      node[name] = value;
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// Set the text of a node only when it changed, so unchanged cells cause no layout work.
export function setText(node, text) {
  const value = text ?? '';
  if (node.textContent !== value) {
    node.textContent = value;
  }
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) {
    throw new Error(`index.html has no element #${id}`);
  }
  return node;
}
