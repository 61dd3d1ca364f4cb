// The API token. The daemon logs the dashboard URL as http://127.0.0.1:8000/#access_token=<token>;
// the page takes it from the fragment (or an access_token query parameter), keeps it in
// sessionStorage (this tab's browser session only: gone when the tab closes, never in
// localStorage) and removes it from the visible URL and history entry at once.

const KEY = 'traded.access_token';

/** Moves a token found in the URL into sessionStorage and strips it from the address bar. */
export function adoptTokenFromUrl() {
  const url = new URL(window.location.href);
  const fragment = new URLSearchParams(url.hash.startsWith('#') ? url.hash.slice(1) : url.hash);
  let token = null;
  if (fragment.has('access_token')) {
    token = fragment.get('access_token');
    fragment.delete('access_token');
  }
  if (url.searchParams.has('access_token')) {
    token = token ?? url.searchParams.get('access_token');
    url.searchParams.delete('access_token');
  }
  if (token === null) return false;
  token = token.trim();
  if (token) sessionStorage.setItem(KEY, token);
  const rest = fragment.toString();
  const clean = url.pathname + (url.searchParams.toString() ? `?${url.searchParams}` : '') + (rest ? `#${rest}` : '');
  window.history.replaceState(window.history.state, '', clean);
  return Boolean(token);
}

/** The token for this browser session, or null. */
export function getToken() {
  return sessionStorage.getItem(KEY);
}

/** Stores a token typed into the prompt. */
export function setToken(token) {
  sessionStorage.setItem(KEY, token.trim());
}

/** Forgets the token (after the daemon rejected it). */
export function clearToken() {
  sessionStorage.removeItem(KEY);
}
