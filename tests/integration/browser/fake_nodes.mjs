// Many stand-in nodes in one process, for the dashboard's 2,000-row test: each listens on its
// own loopback port and serves GET /state with the fields winebot-node returns (node id, name,
// version, recorder and idle objects, labels). Every few seconds a few of them change recorder
// state, so the hub has live updates to stream. Other paths get 404 with a JSON detail.
//
// Usage: node fake_nodes.mjs COUNT NODES_FILE
// Writes one 127.0.0.1:PORT line per node to NODES_FILE, then prints "ready".

import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const CHANGE_INTERVAL_MS = 2000;
const CHANGES_PER_INTERVAL = 10;
const RECORDER_STATES = ['recording', 'paused', 'idle'];
const CONTROLLERS = ['agent', 'user', null];

const count = Number(process.argv[2]);
const nodesFile = process.argv[3];
const startedAt = Date.now();

function makeNode(index) {
  const number = String(index).padStart(4, '0');
  return {
    node_id: `00000000-0000-4000-8000-00000000${number}`,
    name: `sim-node-${number}`,
    version: index % 10 === 0 ? '0.9.7' : '0.9.8',
    recorder: RECORDER_STATES[index % 3],
    controller: CONTROLLERS[index % 3],
    session: `session-${number}`,
    labels: index % 2 ? ['gpu'] : ['cpu'],
  };
}

function stateBody(node, port) {
  const uptime = (Date.now() - startedAt) / 1000;
  return JSON.stringify({
    node_id: node.node_id, name: node.name, version: node.version, hostname: 'localhost',
    api_port: port, started_at_ms: startedAt, uptime_seconds: uptime, advertised: false,
    stopping: false, labels: node.labels,
    recorder: { state: node.recorder, session_id: node.session },
    idle: { idle_seconds: Math.round(uptime) % 600, controller: node.controller,
      control_mode: 'hybrid', auto_pauses: 0, paused_by_inactivity_seconds: 0 },
  });
}

function serve(node) {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      const port = server.address().port;
      if (request.url.split('?')[0] === '/state') {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(stateBody(node, port));
        return;
      }
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ detail: `not found: ${request.url}` }));
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

const nodes = Array.from({ length: count }, (_, index) => makeNode(index));
const ports = [];
for (const node of nodes) {
  ports.push(await serve(node));
}
writeFileSync(nodesFile, ports.map((port) => `127.0.0.1:${port}`).join('\n') + '\n');

let next = 0;
setInterval(() => {
  for (let change = 0; change < CHANGES_PER_INTERVAL; change += 1) {
    const node = nodes[next % nodes.length];
    node.recorder = RECORDER_STATES[(RECORDER_STATES.indexOf(node.recorder) + 1) % 3];
    next += 97; // a stride co-prime with the count spreads the changes
  }
}, CHANGE_INTERVAL_MS);
console.log('ready');
