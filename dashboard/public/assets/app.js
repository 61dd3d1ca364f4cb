// Entry point. Routes: "/" is an overview of both engines (read-only: each card links to its
// engine page, where the controls are); "/paper-trading" and "/real-trading" are engine pages.
// Data comes from one WebSocket (live.js); commands go over REST (api.js), one request per click.

import { adoptTokenFromUrl, getToken, setToken, clearToken } from './token.js';
import { engineApi, onUnauthorized, ApiError } from './api.js';
import { Live } from './live.js';
import { mountEngineView, runState, exchangeText } from './engine-view.js';
import { h, setText, replace, setDir } from './dom.js';
import * as fmt from './format.js';

const MODES = ['paper-trading', 'real-trading'];
const route = (() => {
  const p = window.location.pathname.replace(/\/+$/, '');
  if (p === '/paper-trading') return 'paper-trading';
  if (p === '/real-trading') return 'real-trading';
  return 'overview';
})();
const pageModes = route === 'overview' ? MODES : [route];

adoptTokenFromUrl();

const $ = (id) => document.getElementById(id);
const live = new Live(pageModes, { market: route !== 'overview' }); // price charts on engine pages
const perfByMode = Object.fromEntries(MODES.map((m) => [m, null]));

for (const a of document.querySelectorAll('nav a[data-route]')) {
  if (a.dataset.route === route) a.setAttribute('aria-current', 'page');
}
document.title = route === 'overview' ? 'traded — overview' : `traded — ${fmt.modeName(route).toLowerCase()}`;

// ---------------------------------------------------------------- toasts

/** Shows a short message; kind 'error' stays until dismissed by time (10 s) like the others. */
function toast(text, kind = 'info') {
  const el = h('div', { class: `toast ${kind}` }, text);
  $('toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 10000 : 5000);
}

// ---------------------------------------------------------------- token prompt

const tokenDialog = $('token-dialog');
function promptToken(reason) {
  setText($('token-reason'), reason === 'rejected'
    ? 'The daemon rejected the access token (401). Enter the current token.'
    : 'This dashboard needs the daemon\'s API token.');
  $('token-input').value = '';
  if (!tokenDialog.open) tokenDialog.showModal();
  $('token-input').focus();
}
tokenDialog.addEventListener('close', () => {
  const value = $('token-input').value.trim();
  if (tokenDialog.returnValue === 'connect' && value) {
    setToken(value);
    live.start();
    refreshPerformance();
  }
});
$('conn-token').addEventListener('click', () => promptToken(getToken() ? 'rejected' : 'missing'));

let unauthorizedShown = false;
onUnauthorized(() => {
  // A 401 on any REST call: the token is wrong (or was rotated). Stop the socket and ask.
  clearToken();
  live.halt('unauthorized', 'rejected');
});

// ---------------------------------------------------------------- connection indicator

function renderConnection(c, now = Date.now()) {
  const el = $('conn');
  el.dataset.state = c.state;
  let text;
  switch (c.state) {
    case 'live': text = 'Live'; break;
    case 'connecting': text = 'Connecting…'; break;
    case 'reconnecting': {
      const wait = c.retryAt ? Math.max(0, c.retryAt - now) : 0;
      text = wait > 0 ? `Disconnected — retrying in ${Math.ceil(wait / 1000)} s (attempt ${c.attempt})` : `Reconnecting… (attempt ${c.attempt})`;
      break;
    }
    case 'unauthorized': text = c.error === 'missing' ? 'Not connected: access token needed' : 'Not connected: access token rejected'; break;
    default: text = c.state;
  }
  setText($('conn-text'), text);
  $('conn-token').hidden = c.state !== 'unauthorized';
}

live.addEventListener('connection', (e) => {
  const c = e.detail;
  renderConnection(c);
  if (c.state === 'unauthorized') {
    if (!unauthorizedShown || !tokenDialog.open) promptToken(c.error);
    unauthorizedShown = true;
  } else unauthorizedShown = false;
  if (c.state === 'live') refreshPerformance();
});

// ---------------------------------------------------------------- REAL MONEY banner

function renderBanner() {
  const s = live.state['real-trading']?.status;
  const banner = $('real-banner');
  // Shown on every page that watches the real engine, for as long as that engine is enabled.
  if (s && s.enabled) {
    banner.hidden = false;
    const rs = runState(s);
    setText(banner, `REAL MONEY — real trading is enabled (${rs.label}). Orders from ${route === 'real-trading' ? 'this page' : 'the real-trading page'} go to the exchange.`);
  } else banner.hidden = true;
}

// ---------------------------------------------------------------- performance (REST, on events)

let perfTimer = null;
/** Performance has no push channel: it is fetched on connect and after each recorded trade. */
function refreshPerformance() {
  clearTimeout(perfTimer);
  perfTimer = setTimeout(async () => {
    for (const mode of pageModes) {
      try {
        perfByMode[mode] = await engineApi(mode).performance();
        view?.renderPerformance?.(mode, perfByMode[mode]);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 401) console.warn('performance', mode, err.message);
      }
    }
  }, 200);
}

// ---------------------------------------------------------------- dialogs

const confirmDialog = $('confirm-dialog');
/** Modal confirmation; resolves true only for the confirm button (Escape and Cancel: false). */
function confirmAction({ title, body, confirmLabel, realMoney }) {
  return new Promise((resolve) => {
    setText($('confirm-title'), title);
    setText($('confirm-body'), body);
    setText($('confirm-ok'), confirmLabel);
    $('confirm-money').hidden = !realMoney;
    if (realMoney) setText($('confirm-money'), 'REAL MONEY — this acts on real positions on the exchange');
    confirmDialog.returnValue = '';
    confirmDialog.addEventListener('close', () => resolve(confirmDialog.returnValue === 'confirm'), { once: true });
    confirmDialog.showModal();
    $('confirm-cancel').focus();
  });
}

// Cancel buttons are type="button" so Enter in a field submits the primary action, not Cancel.
for (const b of document.querySelectorAll('[data-close-dialog]')) {
  b.addEventListener('click', () => b.closest('dialog').close('cancel'));
}

// ---------------------------------------------------------------- engine actions

function describe(err) {
  if (err instanceof ApiError) return err.code ? `${err.code}: ${err.message}` : err.message;
  return String(err?.message || err);
}

function engineActions(mode) {
  const api = engineApi(mode);
  const real = mode === 'real-trading';
  const name = fmt.modeName(mode).toLowerCase();
  const closing = new Set(); // position ids with a close request in flight: at most one each

  return {
    isClosing: (id) => closing.has(id),
    async closePosition(id) {
      const p = live.state[mode].positions.get(id);
      if (closing.has(id) || !p || p.status !== 'OPEN') return;
      closing.add(id);
      view.render(mode, 'positions');
      try {
        const res = await api.closePosition(id);
        if (res?.already_closed) toast(`${p.symbol} ${p.side} was already closed.`);
        else if (res?.status === 'CLOSED') toast(`Closed ${p.symbol} ${p.side}${res.trade ? `: ${fmt.pnl(res.trade.pnl)}` : ''}.`);
        else toast(`Closing ${p.symbol} ${p.side}…`);
      } catch (err) {
        toast(`Close ${p.symbol} failed — ${describe(err)}`, 'error');
      } finally {
        closing.delete(id);
        view.render(mode, 'positions');
      }
    },
    async start() {
      const s = live.state[mode].status;
      const clear = Boolean(s?.emergency_stopped);
      if (clear || real) {
        const ok = await confirmAction({
          title: clear ? `Clear the emergency stop and start ${name}?` : `Start ${name}?`,
          body: (clear ? 'The emergency latch is cleared and the engine opens new positions again. ' : '') +
            (real ? 'The engine will place orders with real money on the exchange.' : ''),
          confirmLabel: clear ? 'Clear and start' : 'Start',
          realMoney: real,
        });
        if (!ok) return;
      }
      try {
        const res = await api.start(clear);
        toast(`${fmt.modeName(mode)} started.`);
        for (const w of res?.warnings || []) toast(`Warning: ${w}`, 'error');
      } catch (err) {
        toast(`Start failed — ${describe(err)}`, 'error');
      }
    },
    async stop() {
      const ok = await confirmAction({
        title: `Stop ${name}?`,
        body: 'New entries stop and every open position is closed at market (exit reason STOP).',
        confirmLabel: 'Stop and close positions',
        realMoney: real,
      });
      if (!ok) return;
      try {
        await api.stop();
        toast(`${fmt.modeName(mode)} stopped.`);
      } catch (err) {
        toast(`Stop failed — ${describe(err)}`, 'error');
      }
    },
    async emergencyStop() {
      const ok = await confirmAction({
        title: `EMERGENCY STOP ${name}?`,
        body: (real ? 'REAL MONEY. ' : '') + 'Cancels all open orders, closes every position at market (reduce-only) and latches the engine stopped. ' +
          'It stays latched across restarts until you start it again with the latch cleared.',
        confirmLabel: 'Emergency stop',
        realMoney: real,
      });
      if (!ok) return;
      try {
        await api.emergencyStop();
        toast(`${fmt.modeName(mode)}: emergency stop done.`, 'error');
      } catch (err) {
        toast(`Emergency stop failed — ${describe(err)}`, 'error');
      }
    },
    editLimits() {
      openLimitsDialog(mode);
    },
  };
}

const limitsDialog = $('limits-dialog');
let limitsMode = null;
function openLimitsDialog(mode) {
  limitsMode = mode;
  const s = live.state[mode].safety;
  $('limits-stake').value = s?.stake_usd ?? '';
  $('limits-max').value = s?.max_positions ?? '';
  $('limits-loss').value = s?.max_daily_loss ?? '';
  $('limits-error').hidden = true;
  $('limits-money').hidden = mode !== 'real-trading';
  setText($('limits-title'), `Safety limits — ${fmt.modeName(mode).toLowerCase()}`);
  limitsDialog.showModal();
  $('limits-stake').focus();
}
$('limits-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const mode = limitsMode;
  const s = live.state[mode].safety || {};
  const update = {};
  const stake = $('limits-stake').value;
  const max = $('limits-max').value;
  const loss = $('limits-loss').value;
  if (stake !== '' && Number(stake) !== Number(s.stake_usd)) update.stake_usd = Number(stake);
  if (max !== '' && Number(max) !== Number(s.max_positions)) update.max_positions = Number(max);
  if (loss !== '' && Number(loss) !== Number(s.max_daily_loss)) update.max_daily_loss = Number(loss);
  if (!Object.keys(update).length) {
    limitsDialog.close('cancel');
    return;
  }
  const save = e.submitter;
  save.disabled = true;
  try {
    await engineApi(mode).setSafetyLimits(update);
    limitsDialog.close('saved');
    toast('Safety limits saved.');
  } catch (err) {
    $('limits-error').hidden = false;
    setText($('limits-error'), describe(err));
  } finally {
    save.disabled = false;
  }
});

// ---------------------------------------------------------------- overview

function mountOverview(root) {
  const cards = {};
  const oppList = h('ol', { class: 'feed', id: 'opportunities' });
  const grid = h('div', { class: 'cards overview' });
  for (const mode of MODES) {
    const f = {};
    const field = (n) => (f[n] = h('span', { 'data-field': n }, '—'));
    const card = h('section', { class: 'card', 'data-mode': mode, 'aria-labelledby': `ov-${mode}` },
      h('h2', { id: `ov-${mode}` }, h('a', { href: `/${mode}` }, fmt.modeName(mode)), ' ', f.pill = h('span', { class: 'pill', 'data-state': 'unknown' }, 'UNKNOWN')),
      h('dl', {},
        ...[['Exchange', 'exchange'], ['Open positions', 'positions'], ['Unrealized', 'unrealized'], ['Daily PnL', 'daily'], ['New entries', 'entries'], ['Balance', 'balance'], ['Total PnL', 'total'], ['Win rate', 'winrate']]
          .map(([label, n]) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, field(n))))),
      h('p', {}, h('a', { href: `/${mode}`, class: 'button-link' }, `Open ${fmt.modeName(mode).toLowerCase()} →`)));
    cards[mode] = f;
    grid.append(card);
  }
  replace(root, h('div', { class: 'overview-page' },
    h('h1', {}, 'Overview'),
    h('p', { class: 'muted' }, 'Both engines at a glance. Controls (start, stop, emergency stop, limits, close) are on each engine\'s page.'),
    grid,
    h('section', { class: 'panel', 'aria-labelledby': 'opp-h' }, h('h2', { id: 'opp-h' }, 'Opportunities'), oppList)));

  function renderMode(mode, now) {
    const f = cards[mode];
    const st = live.state[mode];
    const rs = runState(st.status);
    setText(f.pill, st.status && st.status.enabled === false ? `${rs.label} · disabled` : rs.label);
    f.pill.dataset.state = rs.state;
    const ex = exchangeText(st.status, st.statusAt, now);
    setText(f.exchange, ex.text);
    f.exchange.dataset.state = ex.state;
    const s = st.safety;
    setText(f.positions, s ? `${s.open_positions} of ${s.max_positions}` : `${st.positions.size}`);
    let unreal = 0;
    for (const p of st.positions.values()) unreal += Number(p.pnl) || 0;
    setText(f.unrealized, fmt.pnl(unreal));
    setDir(f.unrealized, fmt.direction(unreal));
    if (s) {
      setText(f.daily, `${fmt.pnl(s.daily_realized_pnl)} (limit ${fmt.usd(-Number(s.max_daily_loss))})`);
      setDir(f.daily, fmt.direction(s.daily_realized_pnl));
      setText(f.entries, s.can_open_new ? 'allowed' : `BLOCKED${s.blocked_reasons?.length ? `: ${s.blocked_reasons.join(', ')}` : ''}`);
    }
    if (st.account) setText(f.balance, `${fmt.num(st.account.wallet_balance)} ${st.account.asset || ''}`.trim());
    const p = perfByMode[mode];
    if (p) {
      setText(f.total, fmt.pnl(p.total_pnl));
      setDir(f.total, fmt.direction(p.total_pnl));
      setText(f.winrate, p.total_trades ? `${fmt.percent(p.win_rate, false)} of ${p.total_trades}` : '—');
    }
  }

  function renderOpportunities() {
    const all = [];
    const seen = new Set();
    for (const mode of MODES) {
      for (const o of live.state[mode].opportunities) {
        const key = `${o.ts}|${o.symbol}|${o.side}`;
        if (!seen.has(key)) {
          seen.add(key);
          all.push(o);
        }
      }
    }
    all.sort((a, b) => (b.ts ?? 0) - (a.ts ?? 0));
    replace(oppList, ...(all.length ? all.slice(0, 50).map((o) => h('li', {},
      h('time', {}, fmt.time(o.ts)), ' ', h('strong', {}, o.symbol), ' ',
      h('span', { 'data-side': o.side }, o.side === 'SHORT' ? '▼ SHORT' : '▲ LONG'),
      o.reason ? h('span', { class: 'muted' }, ` — ${o.reason}`) : null)) : [h('li', { class: 'muted' }, 'No opportunities yet.')]));
  }

  for (const m of MODES) renderMode(m, Date.now());
  renderOpportunities();
  return {
    render(mode, channel) {
      if (channel === 'opportunities') renderOpportunities();
      else if (channel !== 'market') renderMode(mode, Date.now());
    },
    renderPerformance(mode) {
      renderMode(mode, Date.now());
    },
    tick(now) {
      for (const m of MODES) renderMode(m, now);
    },
  };
}

// ---------------------------------------------------------------- wiring

let view = null;
const main = $('main');
if (route === 'overview') {
  view = mountOverview(main);
} else {
  const ev = mountEngineView(main, route, live, engineActions(route));
  view = {
    render: (mode, channel) => ev.render(channel),
    renderPerformance: (mode, p) => ev.renderPerformance(p),
    tick: (now) => ev.tick(now),
  };
}

// Coalesce bursts of events (position_updated at tick rate) into one render per frame.
const dirty = new Set();
let frame = 0;
live.addEventListener('change', (e) => {
  const { mode, channel, event } = e.detail;
  dirty.add(`${mode}|${channel}`);
  if (channel === 'status' && mode === 'real-trading') renderBanner();
  if (channel === 'trades' && e.detail.kind === 'event' && event === 'trade_recorded') refreshPerformance();
  if (!frame) {
    frame = requestAnimationFrame(() => {
      frame = 0;
      for (const key of dirty) {
        const [m, c] = key.split('|');
        view.render(m, c);
      }
      dirty.clear();
    });
  }
});

// A one-second clock for ages, uptime and the retry countdown: local only, no network.
setInterval(() => {
  const now = Date.now();
  view.tick(now);
  if (live.connection.state === 'reconnecting') renderConnection(live.connection, now);
}, 1000);

if (getToken()) live.start();
else live.halt('unauthorized', 'missing');
