// The address of a node's noVNC page. WineBot serves noVNC through websockify on the node's
// host at port NOVNC_PORT (default 6080), page /vnc.html, and advertises the port in TXT
// `novnc_port`. Older WineBot versions advertise the whole `vnc_url` instead. Nodes that
// advertise neither get the default port, which the user can change on the node page and which
// is kept in localStorage.

const PORT_KEY = 'winebot.novnc-port';
export const DEFAULT_NOVNC_PORT = 6080;

export function defaultNoVncPort() {
  try {
    const stored = Number(localStorage.getItem(PORT_KEY));
    return Number.isInteger(stored) && stored > 0 && stored < 65536 ? stored : DEFAULT_NOVNC_PORT;
  } catch {
    return DEFAULT_NOVNC_PORT;
  }
}

export function setDefaultNoVncPort(port) {
  try {
    localStorage.setItem(PORT_KEY, String(port));
  } catch {
    // the port then applies until the page reloads
  }
}

// The noVNC page URL, or null when the node has no address.
export function noVncUrl(node) {
  const advertised = node.txt?.vnc_url;
  if (advertised && /^https?:\/\//.test(advertised)) {
    return advertised;
  }
  if (!node.address) {
    return null;
  }
  const port = Number(node.txt?.novnc_port) || defaultNoVncPort();
  const host = node.address.includes(':') ? `[${node.address}]` : node.address;
  return `http://${host}:${port}/vnc.html`;
}
