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

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body = {}) => api('PUT', path, body);

// A path segment from a public id (they are [A-Za-z0-9_-], but never trust).
export const seg = (s) => encodeURIComponent(String(s));
