// The console's one way to the server: the same REST API as any client,
// authenticated by the session cookie plus the CSRF header the server
// checks on every call.

export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function csrf() {
  const name = '__Host-sightline_csrf=';
  const c = document.cookie.split('; ').find(x => x.startsWith(name));
  return c ? c.slice(name.length) : '';
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(f) { onUnauthorized = f; }

// api calls method path with an optional JSON body; it resolves to the
// parsed JSON (or the Response when raw) and rejects with an APIError.
export async function api(method, path, body, { raw = false } = {}) {
  const headers = { 'X-Sightline-CSRF': csrf(), 'Accept': 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!r.ok) {
    let code = '', msg = r.statusText;
    try {
      const j = await r.json();
      code = j.error?.code || '';
      msg = j.error?.message || msg;
    } catch { /* not JSON */ }
    if (r.status === 401 && path.startsWith('/api/')) onUnauthorized();
    throw new APIError(r.status, code, msg);
  }
  if (raw) return r;
  if (r.status === 204) return null;
  return r.json();
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null && v !== false) u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}
