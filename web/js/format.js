// Formatting of times, durations and node fields for display.

export const DASH = '—';

export function formatAge(epochMs, now = Date.now()) {
  if (!epochMs) {
    return 'never';
  }
  return `${formatDuration(Math.max(0, (now - epochMs) / 1000))} ago`;
}

// A duration in seconds as "42 s", "3 min 5 s", "2 h 10 min" or "3 d 4 h".
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return DASH;
  }
  const whole = Math.round(seconds);
  if (whole < 60) {
    return `${whole} s`;
  }
  if (whole < 3600) {
    return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  }
  if (whole < 86400) {
    return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
  }
  return `${Math.floor(whole / 86400)} d ${Math.floor((whole % 86400) / 3600)} h`;
}

export function formatClock(epochMs) {
  if (!epochMs) {
    return DASH;
  }
  return new Date(epochMs).toLocaleTimeString([], { hour12: false });
}

export function formatDateTime(epochMs) {
  if (!epochMs) {
    return DASH;
  }
  const date = new Date(epochMs);
  return `${date.toLocaleDateString()} ${date.toLocaleTimeString([], { hour12: false })}`;
}

export function formatMs(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return DASH;
  }
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

export function formatCount(value) {
  return Number.isFinite(value) ? value.toLocaleString() : DASH;
}

export function formatAddress(node) {
  if (!node.address) {
    return DASH;
  }
  const host = node.address.includes(':') ? `[${node.address}]` : node.address;
  return `${host}:${node.port}`;
}

// Fields that the node table and the node page show, read from the hub's node JSON: its TXT
// record, the newest GET /state reply (`node_state`) and the hub's own fields.
export function nodeFields(node) {
  const state = node.node_state ?? {};
  return {
    name: node.name || node.id,
    version: node.txt?.version ?? state.version ?? null,
    session: state.recorder?.session_id ?? node.txt?.session_id ?? null,
    recorder: node.recorder_state ?? 'unknown',
    idleSeconds: state.idle?.idle_seconds ?? null,
    controller: state.idle?.controller ?? null,
    controlMode: state.idle?.control_mode ?? null,
    labels: node.labels ?? [],
    reason: node.warnings?.length
      ? `${node.state_reason} (warning: ${node.warnings.join('; ')})`
      : node.state_reason ?? '',
  };
}
