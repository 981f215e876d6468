// Unit tests of the dashboard's modules that need no browser: formatting, the state timeline's
// spans, the noVNC address and the node normalisation of the event stream's messages.
// Run with: node --test tests/unit/web/

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatAge, formatDuration, nodeFields } from '../../../web/js/format.js';
import { noVncUrl } from '../../../web/js/novnc.js';
import { pointsFromHistory, spansFromPoints } from '../../../web/js/state_timeline.js';
import { normalizeNode } from '../../../web/js/store.js';

test('formatDuration picks the unit', () => {
  assert.equal(formatDuration(42.4), '42 s');
  assert.equal(formatDuration(185), '3 min 5 s');
  assert.equal(formatDuration(7800), '2 h 10 min');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3 d 4 h');
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(Number.NaN), '—');
});

test('formatAge of a missing time', () => {
  assert.equal(formatAge(0), 'never');
  assert.equal(formatAge(1000, 6000), '5 s ago');
  assert.equal(formatAge(9000, 6000), '0 s ago'); // a clock behind the hub's
});

test('nodeFields reads state before TXT', () => {
  const fields = nodeFields({
    id: 'n1', name: '', state_reason: 'answering', warnings: ['loopback'],
    txt: { session_id: 'from-txt' },
    node_state: { version: '0.9.8', recorder: { session_id: 'from-state' },
      idle: { idle_seconds: 12.5, controller: 'agent' } },
  });
  assert.equal(fields.name, 'n1');
  assert.equal(fields.version, '0.9.8');
  assert.equal(fields.session, 'from-state');
  assert.equal(fields.idleSeconds, 12.5);
  assert.equal(fields.controller, 'agent');
  assert.equal(fields.reason, 'answering (warning: loopback)');
});

test('spansFromPoints merges and clips', () => {
  const points = [
    { at_ms: 0, value: 'online' }, { at_ms: 100, value: 'online' },
    { at_ms: 200, value: 'offline' }, { at_ms: 400, value: 'online' },
  ];
  assert.deepEqual(spansFromPoints(points, 50, 500), [
    { from_ms: 50, to_ms: 200, value: 'online' },
    { from_ms: 200, to_ms: 400, value: 'offline' },
    { from_ms: 400, to_ms: 500, value: 'online' },
  ]);
  assert.deepEqual(spansFromPoints(points, 600, 700), [
    { from_ms: 600, to_ms: 700, value: 'online' },
  ]);
  assert.deepEqual(spansFromPoints([], 0, 100), []);
});

test('pointsFromHistory sorts transitions', () => {
  const history = [{ at_ms: 20, from: 'online', to: 'offline' },
    { at_ms: 10, from: 'discovered', to: 'online' }];
  assert.deepEqual(pointsFromHistory(history), [
    { at_ms: 10, value: 'online' }, { at_ms: 20, value: 'offline' },
  ]);
  assert.deepEqual(pointsFromHistory(undefined), []);
});

test('noVncUrl prefers what the node advertises', () => {
  assert.equal(noVncUrl({ address: '10.0.0.5', txt: {} }), 'http://10.0.0.5:6080/vnc.html');
  assert.equal(noVncUrl({ address: '10.0.0.5', txt: { novnc_port: '6081' } }),
    'http://10.0.0.5:6081/vnc.html');
  assert.equal(noVncUrl({ address: 'fd00::5', txt: {} }), 'http://[fd00::5]:6080/vnc.html');
  assert.equal(noVncUrl({ address: '10.0.0.5', txt: { vnc_url: 'http://h:7000/vnc.html' } }),
    'http://h:7000/vnc.html');
  assert.equal(noVncUrl({ address: '10.0.0.5', txt: { vnc_url: 'javascript:alert(1)' } }),
    'http://10.0.0.5:6080/vnc.html');
  assert.equal(noVncUrl({ address: null, txt: {} }), null);
});

test('normalizeNode fills stream nodes', () => {
  const fromState = normalizeNode({ node_state: { recorder: { state: 'paused' },
    labels: ['gpu'] }, txt: { state: 'recording', labels: 'eu' } });
  assert.equal(fromState.recorder_state, 'paused');
  assert.deepEqual(fromState.labels, ['gpu']);

  const fromTxt = normalizeNode({ node_state: {}, txt: { state: 'recording', labels: 'eu, gpu' } });
  assert.equal(fromTxt.recorder_state, 'recording');
  assert.deepEqual(fromTxt.labels, ['eu', 'gpu']);

  const strange = normalizeNode({ node_state: { recorder: { state: 'exploded' } } });
  assert.equal(strange.recorder_state, 'unknown');
  assert.deepEqual(strange.labels, []);

  const listed = normalizeNode({ recorder_state: 'idle', labels: ['a'], txt: { state: 'paused' } });
  assert.equal(listed.recorder_state, 'idle');
  assert.deepEqual(listed.labels, ['a']);
});
