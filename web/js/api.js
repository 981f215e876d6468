// Client of the hub's REST API. Every call resolves to a result object instead of throwing, so
// that views can show "no data" for an endpoint this hub lacks (HTTP 404) or a failed request.

export class ApiResult {
  constructor(status, body, detail) {
    this.status = status; // HTTP status, or 0 when the request did not reach the hub
    this.body = body;
    this.detail = detail; // the error's text, or null
  }

  get ok() {
    return this.status >= 200 && this.status < 300;
  }
}

async function readBody(response) {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) {
    return null;
  }
  try {
    return await response.json();
  } catch {
    return null;
  }
}

async function request(method, path, body) {
  const init = { method, cache: 'no-store', credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    return new ApiResult(0, null, `the hub did not answer (${error.message})`);
  }
  const parsed = await readBody(response);
  if (response.ok) {
    return new ApiResult(response.status, parsed, null);
  }
  const detail = parsed?.detail ?? `HTTP ${response.status} ${response.statusText}`;
  return new ApiResult(response.status, parsed, detail);
}

export function getJson(path) {
  return request('GET', path);
}

export function postJson(path, body) {
  return request('POST', path, body);
}

// The query string of `parameters`, without the entries whose value is null or undefined.
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== null && value !== undefined && value !== '') {
      search.set(name, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// A short explanation for a failed result, for the "no data" states of the views.
export function describeFailure(result, what) {
  if (result.status === 404) {
    return `No ${what}: this hub does not serve it (${result.detail}).`;
  }
  if (result.status === 0) {
    return `No ${what}: ${result.detail}.`;
  }
  return `No ${what}: HTTP ${result.status}, ${result.detail}`;
}
