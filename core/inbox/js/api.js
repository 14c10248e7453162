// The REST client of the inbox: same-origin fetch with the session cookie,
// the CSRF header on every state-changing request, JSON both ways.
// Resolves {status, json}; never throws for an HTTP error (a network error
// gives status 0).

let csrf = null;
let onUnauthorized = null;

export function setCsrf(token) { csrf = token; }

// cb() is called when a request (other than the login) answers 401: the
// session has ended and the app shows the login again.
export function setUnauthorizedHandler(cb) { onUnauthorized = cb; }

export function api(method, path, body) {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body),
    body === undefined ? undefined : 'application/json');
}

// A request whose body is sent as it is (a File or Blob: an upload), with
// its own content type.
export function sendRaw(method, path, blob, type) {
  return send(method, path, blob, type || 'application/octet-stream');
}

async function send(method, path, body, type) {
  const headers = { Accept: 'application/json' };
  if (type) headers['Content-Type'] = type;
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', body });
  } catch {
    return { status: 0, json: null };
  }
  let json = null;
  try { json = await res.json(); } catch { /* empty or not JSON */ }
  if (res.status === 401 && onUnauthorized && !path.endsWith('/auth/login')) onUnauthorized();
  return { status: res.status, json };
}

export function errorCode(r) {
  return r && r.json && r.json.error ? r.json.error.code : null;
}

// The server's own explanation of an error ('' when there is none).
export function errorMessage(r) {
  return r && r.json && r.json.error && r.json.error.message ? String(r.json.error.message) : '';
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body = {}) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

// A path segment from a public id (they are [A-Za-z0-9_-], but never trust).
export const seg = (s) => encodeURIComponent(String(s));
