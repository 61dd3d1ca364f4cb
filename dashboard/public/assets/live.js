// Live state from the daemon's WebSocket (SPEC §3). No polling: one socket, snapshots on
// subscribe, then events. On a drop it reconnects with exponential backoff and resumes each mode
// with `since_seq` (the last seq seen for that mode), so the daemon can replay what was missed or
// send fresh snapshots. One subscribe per mode, because seq is per mode and `since_seq` is one
// number per subscribe request.

import { getToken } from './token.js';
import { request, ApiError } from './api.js';

export const CHANNELS = ['positions', 'trades', 'safety', 'account', 'status', 'opportunities'];
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const MAX_TRADES = 1000;
const MAX_OPPORTUNITIES = 100;
const MAX_PRICE_POINTS = 2000; // per symbol: the snapshot's history plus pushed quotes
const FINISHED = new Set(['CLOSED', 'FAILED']);

/** Error codes that mean "your token is missing or wrong" (UNAUTHORIZED, INVALID_TOKEN, ...). */
function isAuthError(code) {
  return /AUTH|TOKEN/.test(code || '');
}

/** State of one engine as last pushed by the daemon. */
function emptyMode() {
  return {
    seq: null,            // highest seq seen (snapshot or event): what a resume asks from
    lastEventSeq: null,   // highest event seq applied: replays at or below it are dropped
    gaps: 0,              // seq jumps seen (coalesced position_updated events make these harmless)
    positions: new Map(), // position_id -> position object (not CLOSED/FAILED)
    trades: [],           // oldest first
    safety: null,
    account: null,
    status: null,
    statusAt: 0,          // ts of the message that carried `status`
    opportunities: [],    // newest first
    quotes: new Map(),    // symbol -> latest quote {symbol, bid, ask, mark, last, source, ts} (channel `market`)
    prices: new Map(),    // symbol -> [[ts ms, mark], ...] oldest first, for the price chart
    loaded: new Set(),    // channels whose snapshot arrived
  };
}

/**
 * The connection and the store. Emits:
 *  - 'connection' (detail: {state, attempt, retryInMs, error}) with state one of
 *    'connecting' | 'live' | 'reconnecting' | 'unauthorized';
 *  - 'change' (detail: {mode, channel, kind: 'snapshot'|'event', event, data}).
 */
export class Live extends EventTarget {
  /** `market: true` also subscribes to the `market` channel (quotes for the price charts). */
  constructor(modes, { market = false } = {}) {
    super();
    this.modes = modes;
    this.channels = market ? [...CHANNELS, 'market'] : CHANNELS;
    this.state = Object.fromEntries(modes.map((m) => [m, emptyMode()]));
    this.connection = { state: 'connecting', attempt: 0, retryInMs: 0, error: '' };
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map(); // subscribe id -> mode
    this.subscribed = new Set();
    this.retryTimer = null;
    this.stopped = true;
  }

  /** Connects (again) now, e.g. after a new token was entered. */
  start() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    this.connection.attempt = 0;
    this.connect();
  }

  /** Closes the socket and stays disconnected (until start()). */
  halt(state = 'unauthorized', error = '') {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, 'halt');
    }
    this.setConnection({ state, retryInMs: 0, error });
  }

  setConnection(patch) {
    Object.assign(this.connection, patch);
    this.dispatchEvent(new CustomEvent('connection', { detail: { ...this.connection } }));
  }

  connect() {
    const token = getToken();
    if (!token) {
      this.halt('unauthorized', 'missing');
      return;
    }
    this.setConnection({ state: this.connection.attempt ? 'reconnecting' : 'connecting', retryInMs: 0 });
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${window.location.host}/api/v1/ws?access_token=${encodeURIComponent(token)}`);
    this.ws = ws;
    this.pending.clear();
    this.subscribed.clear();
    let opened = false;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      for (const mode of this.modes) {
        const id = this.nextId++;
        this.pending.set(id, mode);
        const msg = { op: 'subscribe', id, channels: this.channels, modes: [mode] };
        const since = this.state[mode].seq;
        if (since !== null) msg.since_seq = since;
        ws.send(JSON.stringify(msg));
      }
    });
    ws.addEventListener('message', (e) => {
      if (this.ws !== ws) return;
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      this.onMessage(msg);
    });
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      // Close codes 1008 (policy) / 4401 / 4001 are how a server may say "bad token"; a failed
      // handshake (HTTP 401) shows up as 1006 before open. Either way, ask REST whether the token
      // is the problem before retrying forever.
      const suspicious = !opened || e.code === 1008 || e.code === 4401 || e.code === 4001 || this.subscribed.size === 0;
      if (suspicious) this.probeAuthThenRetry();
      else this.scheduleRetry();
    });
  }

  async probeAuthThenRetry() {
    try {
      await request('GET', `/api/v1/${this.modes[0]}/status`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.halt('unauthorized', 'rejected');
        return;
      }
    }
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped) return;
    const attempt = this.connection.attempt;
    const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4)); // jitter: no thundering herd
    this.setConnection({ state: 'reconnecting', attempt: attempt + 1, retryInMs: delay, retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  onMessage(msg) {
    if (msg.type === 'snapshot' || msg.type === 'event') {
      this.apply(msg);
      return;
    }
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const mode = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.success) {
        this.subscribed.add(mode);
        if (this.subscribed.size === this.modes.length) this.setConnection({ state: 'live', attempt: 0, error: '' });
      } else {
        const code = msg.error?.code || '';
        if (isAuthError(code)) this.halt('unauthorized', 'rejected');
        else this.setConnection({ error: `${code}: ${msg.error?.message || 'subscribe failed'}` });
      }
      return;
    }
    if (msg.success === false && isAuthError(msg.error?.code)) {
      this.halt('unauthorized', 'rejected');
    }
  }

  apply(msg) {
    const st = this.state[msg.mode];
    if (!st || !this.channels.includes(msg.channel)) return;
    const seq = Number(msg.seq);
    if (msg.type === 'event' && Number.isFinite(seq)) {
      if (st.lastEventSeq !== null && seq <= st.lastEventSeq) return; // replayed twice
      const known = Math.max(st.lastEventSeq ?? -Infinity, st.seq ?? -Infinity);
      if (Number.isFinite(known) && seq > known + 1) st.gaps += 1;
      st.lastEventSeq = seq;
    }
    if (Number.isFinite(seq)) st.seq = st.seq === null ? seq : Math.max(st.seq, seq);

    const data = msg.data;
    const snap = msg.type === 'snapshot';
    switch (msg.channel) {
      case 'positions':
        if (snap) {
          st.positions = new Map();
          for (const p of Array.isArray(data) ? data : []) if (!FINISHED.has(p.status)) st.positions.set(p.position_id, p);
        } else if (data && data.position_id) {
          if (FINISHED.has(data.status)) st.positions.delete(data.position_id);
          else st.positions.set(data.position_id, { ...st.positions.get(data.position_id), ...data });
        }
        break;
      case 'trades':
        if (snap) {
          st.trades = (Array.isArray(data) ? data.slice() : []).sort((a, b) => (a.closed_at ?? 0) - (b.closed_at ?? 0));
        } else if (data && st.trades.some((t) => t.trade_id === data.trade_id)) {
          // A correction (detail "corrected") of a trade already shown: it replaces the old one.
          st.trades = st.trades.map((t) => (t.trade_id === data.trade_id ? data : t));
        } else if (data) {
          st.trades.push(data);
          st.trades.sort((a, b) => (a.closed_at ?? 0) - (b.closed_at ?? 0));
          if (st.trades.length > MAX_TRADES) st.trades.splice(0, st.trades.length - MAX_TRADES);
        }
        break;
      case 'safety':
        st.safety = data;
        break;
      case 'account':
        st.account = data;
        break;
      case 'status':
        st.status = data;
        st.statusAt = Number(msg.ts) || Date.now();
        break;
      case 'opportunities':
        if (snap) st.opportunities = (Array.isArray(data) ? data.slice() : []).sort((a, b) => (b.ts ?? 0) - (a.ts ?? 0)).slice(0, MAX_OPPORTUNITIES);
        else if (data) {
          st.opportunities.unshift(data);
          st.opportunities.length = Math.min(st.opportunities.length, MAX_OPPORTUNITIES);
        }
        break;
      case 'market':
        // Quotes carry no seq and are never replayed: the snapshot restarts the history.
        if (snap) {
          st.quotes = new Map(Object.entries(data?.quotes || {}));
          st.prices = new Map(Object.entries(data?.history || {}).map(([sym, pts]) => [sym, Array.isArray(pts) ? pts.slice() : []]));
        } else if (data && data.symbol) {
          st.quotes.set(data.symbol, data);
          const pts = st.prices.get(data.symbol) || [];
          pts.push([Number(data.ts) || Date.now(), Number(data.mark)]);
          if (pts.length > MAX_PRICE_POINTS) pts.splice(0, pts.length - MAX_PRICE_POINTS);
          st.prices.set(data.symbol, pts);
        }
        break;
      default:
        return;
    }
    if (snap) st.loaded.add(msg.channel);
    this.dispatchEvent(new CustomEvent('change', { detail: { mode: msg.mode, channel: msg.channel, kind: msg.type, event: msg.event, data } }));
  }
}
