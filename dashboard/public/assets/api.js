// REST calls. Every answer is the SPEC §2 envelope {"success":true,"data":...} or
// {"success":false,"error":{"code","message"}}; a 401 means the token is missing or wrong and
// raises the token prompt (through the onUnauthorized hook the app installs).

import { getToken } from './token.js';

/** Error carrying the HTTP status and the envelope's error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

const hooks = { onUnauthorized: () => {} };

/** Installs the callback run on any 401 answer. */
export function onUnauthorized(fn) {
  hooks.onUnauthorized = fn;
}

/** Sends one request; resolves to the envelope's data, rejects with ApiError. */
export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', 'The daemon cannot be reached');
  }
  let envelope = null;
  try {
    envelope = await res.json();
  } catch {
    envelope = null;
  }
  if (res.status === 401) {
    hooks.onUnauthorized();
    throw new ApiError(401, envelope?.error?.code || 'UNAUTHORIZED', envelope?.error?.message || 'The access token is missing or wrong');
  }
  if (!res.ok || !envelope || envelope.success !== true) {
    throw new ApiError(res.status, envelope?.error?.code, envelope?.error?.message || `HTTP ${res.status}`);
  }
  return envelope.data;
}

/** The per-engine REST routes the dashboard uses (SPEC §2). */
export const engineApi = (mode) => ({
  status: () => request('GET', `/api/v1/${mode}/status`),
  performance: () => request('GET', `/api/v1/${mode}/performance`),
  start: (clearEmergency) => request('POST', `/api/v1/${mode}/start`, clearEmergency ? { clear_emergency: true } : {}),
  stop: () => request('POST', `/api/v1/${mode}/stop`, {}),
  emergencyStop: () => request('POST', `/api/v1/${mode}/emergency-stop`, {}),
  setSafetyLimits: (limits) => request('PUT', `/api/v1/${mode}/safety-limits`, limits),
  closePosition: (id) => request('POST', `/api/v1/${mode}/close-position/${encodeURIComponent(id)}`, {}),
});
