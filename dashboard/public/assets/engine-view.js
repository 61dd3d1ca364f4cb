// One engine's page (/paper-trading, /real-trading): status, safety, account, performance,
// positions with Close buttons, trades, charts, opportunities, and the controls. The skeleton is
// built once; live updates only rewrite text and attributes, and positions rows are keyed by
// position_id, so a focused button is never replaced under the user's finger.

import { h, setText, setDir, replace } from './dom.js';
import * as fmt from './format.js';
import { createPnlCharts } from './charts.js';
import { createPriceCharts } from './price-charts.js';

const TRADES_SHOWN = 200;

/** Label and data-state of an engine's run state. */
export function runState(status) {
  if (!status) return { label: 'UNKNOWN', state: 'unknown' };
  if (status.emergency_stopped) return { label: 'EMERGENCY', state: 'emergency' };
  if (status.running) return { label: 'RUNNING', state: 'running' };
  return { label: 'STOPPED', state: 'stopped' };
}

/** "connected · market ✓ · user ✓ · last event 120 ms ago" for status.exchange. */
export function exchangeText(status, statusAt, now) {
  const ex = status?.exchange;
  if (!ex) return { text: 'unknown', state: 'unknown' };
  const parts = [ex.connected ? 'connected' : 'DISCONNECTED'];
  // Streams are booleans (up/down) or a word naming the source ("synthetic", "in-process").
  const stream = (v) => (typeof v === 'string' ? v : v ? '✓ up' : '✗ down');
  if (ex.market_stream !== undefined && ex.market_stream !== null) parts.push(`market ${stream(ex.market_stream)}`);
  if (ex.user_stream !== undefined && ex.user_stream !== null) parts.push(`user stream ${stream(ex.user_stream)}`);
  if (ex.last_event_age_ms !== undefined && ex.last_event_age_ms !== null && ex.last_event_age_ms >= 0) {
    // The age is as the daemon reported it with the last status push, plus the time since then.
    const age = Number(ex.last_event_age_ms) + Math.max(0, now - (statusAt || now));
    parts.push(`last event ${fmt.duration(age)} ago`);
  }
  return { text: parts.join(' · '), state: ex.connected ? 'up' : 'down' };
}

function kv(label, valueEl) {
  return h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, valueEl));
}

function field(name, extra = {}) {
  return h('span', { 'data-field': name, ...extra }, '—');
}

function meter(name, label) {
  const fill = h('div', { class: 'fill' });
  const bar = h('div', { class: 'bar', role: 'meter', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'data-field': name }, fill);
  return { bar, fill };
}

function setMeter(m, pct, level) {
  const v = Math.max(0, Math.min(100, pct));
  m.fill.style.width = `${v}%`;
  m.bar.setAttribute('aria-valuenow', String(Math.round(v)));
  m.bar.dataset.level = level;
}

/**
 * Builds the page into `root`. `actions` has start/stop/emergencyStop/editLimits/closePosition
 * (each async, owning its confirmation and errors) and isClosing(id).
 */
export function mountEngineView(root, mode, live, actions) {
  const real = mode === 'real-trading';
  const f = {};
  const grab = (el) => {
    for (const n of el.querySelectorAll('[data-field]')) f[n.dataset.field] = n;
    return el;
  };

  const btnStart = h('button', { type: 'button', id: 'btn-start', onclick: () => actions.start() }, 'Start');
  const btnStop = h('button', { type: 'button', id: 'btn-stop', onclick: () => actions.stop() }, 'Stop');
  const btnEmergency = h('button', { type: 'button', id: 'btn-emergency', class: 'danger', onclick: () => actions.emergencyStop() }, 'Emergency stop');
  const btnLimits = h('button', { type: 'button', id: 'btn-limits', onclick: () => actions.editLimits() }, 'Edit safety limits');

  const positionsMeter = meter('positions-meter', 'Positions used of maximum');
  const lossMeter = meter('loss-meter', 'Daily loss used of the limit');

  const positionsBody = h('tbody', { id: 'positions-body' });
  const positionsEmpty = h('p', { class: 'muted empty', id: 'positions-empty' }, 'No open positions.');
  const tradesBody = h('tbody', { id: 'trades-body' });
  const tradesEmpty = h('p', { class: 'muted empty', id: 'trades-empty' }, 'No closed trades yet.');
  const oppList = h('ol', { class: 'feed', id: 'opportunities' });
  const priceCharts = h('div', { class: 'price-charts', id: 'price-charts' });
  const pricesEmpty = h('p', { class: 'muted empty', id: 'prices-empty' }, 'A live price chart appears here for each symbol with an open position.');
  const chartsEmpty = [0, 1].map(() => h('p', { class: 'muted chart-empty' }, 'Drawn from closed trades: none yet.'));
  const equityEl = h('div', { class: 'chart', id: 'equity-chart', role: 'img', 'aria-label': 'Equity curve: cumulative PnL of closed trades' });
  const barsEl = h('div', { class: 'chart', id: 'pnl-chart', role: 'img', 'aria-label': 'PnL of each closed trade' });

  const page = grab(h('div', { class: 'engine', 'data-mode': mode },
    h('div', { class: 'title-row' },
      h('h1', {}, fmt.modeName(mode)),
      h('span', { class: 'pill', id: 'run-state', 'data-field': 'run-state', 'data-state': 'unknown' }, 'UNKNOWN'),
      h('div', { class: 'controls', role: 'group', 'aria-label': 'Engine controls' }, btnStart, btnStop, btnEmergency, btnLimits)),
    h('p', { class: 'muted', 'data-field': 'enabled-note', hidden: true }),
    h('div', { class: 'cards' },
      h('section', { class: 'card', 'aria-labelledby': `status-h` },
        h('h2', { id: 'status-h' }, 'Status'),
        h('dl', {},
          kv('State', field('state')),
          kv('Exchange', field('exchange')),
          kv('Started', field('started')),
          kv('Uptime', field('uptime')),
          kv('Rules', field('rules'))),
        h('p', { class: 'warning', 'data-field': 'untracked', hidden: true })),
      h('section', { class: 'card', 'aria-labelledby': 'safety-h' },
        h('h2', { id: 'safety-h' }, 'Safety'),
        h('dl', {},
          kv('Positions', field('positions-used')),
          kv('', positionsMeter.bar),
          kv('Daily PnL', field('daily-pnl')),
          kv('', lossMeter.bar),
          kv('Loss limit', field('loss-limit')),
          kv('New entries', field('can-open')),
          kv('Stake', field('stake'))),
        h('ul', { class: 'reasons', 'data-field': 'blocked' })),
      h('section', { class: 'card', 'aria-labelledby': 'account-h' },
        h('h2', { id: 'account-h' }, 'Account'),
        h('dl', {},
          kv('Wallet', field('wallet')),
          kv('Available', field('available')),
          kv('Unrealized', field('unrealized')),
          kv('Margin balance', field('margin')),
          kv('Updated', field('account-updated')))),
      h('section', { class: 'card', 'aria-labelledby': 'perf-h' },
        h('h2', { id: 'perf-h' }, 'Performance'),
        h('dl', {},
          kv('Trades', field('perf-trades')),
          kv('Win rate', field('perf-winrate')),
          kv('Total PnL', field('perf-total')),
          kv('Average PnL', field('perf-avg')),
          kv('Profit factor', field('perf-pf')),
          kv('Max drawdown', field('perf-dd')),
          kv('Best / worst', field('perf-bestworst'))))),
    h('section', { class: 'panel', 'aria-labelledby': 'positions-h' },
      h('h2', { id: 'positions-h' }, 'Open positions ', h('span', { class: 'count', 'data-field': 'positions-count' }, '')),
      h('div', { class: 'table-wrap' },
        h('table', { id: 'positions-table' },
          h('thead', {}, h('tr', {}, ...['Symbol', 'Side', 'Entry', 'Mark', 'Qty', 'Stake', 'Lev.', 'TP price', 'SL price', 'Floor', 'PnL', 'PnL %', 'Status', ''].map((c) => h('th', { scope: 'col' }, c)))),
          positionsBody)),
      positionsEmpty),
    h('section', { class: 'panel', 'aria-labelledby': 'prices-h' },
      h('h2', { id: 'prices-h' }, 'Live prices'),
      pricesEmpty,
      priceCharts),
    h('div', { class: 'charts' },
      h('section', { class: 'panel', 'aria-labelledby': 'equity-h' }, h('h2', { id: 'equity-h' }, 'Equity curve (cumulative PnL)'), chartsEmpty[0], equityEl),
      h('section', { class: 'panel', 'aria-labelledby': 'bars-h' }, h('h2', { id: 'bars-h' }, 'PnL per trade'), chartsEmpty[1], barsEl)),
    h('div', { class: 'split' },
      h('section', { class: 'panel', 'aria-labelledby': 'trades-h' },
        h('h2', { id: 'trades-h' }, 'Trades ', h('span', { class: 'count', 'data-field': 'trades-count' }, '')),
        h('div', { class: 'table-wrap' },
          h('table', { id: 'trades-table' },
            h('thead', {}, h('tr', {}, ...['Closed', 'Symbol', 'Side', 'Entry', 'Exit', 'Qty', 'PnL', 'PnL %', 'Fees', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
            tradesBody)),
        tradesEmpty),
      h('section', { class: 'panel', 'aria-labelledby': 'opp-h' },
        h('h2', { id: 'opp-h' }, 'Opportunities'),
        oppList))));
  replace(root, page);
  const charts = createPnlCharts(equityEl, barsEl);
  const prices = createPriceCharts(priceCharts);
  const st = () => live.state[mode];

  function renderStatus(now) {
    const s = st().status;
    const rs = runState(s);
    setText(f['run-state'], rs.label);
    f['run-state'].dataset.state = rs.state;
    setText(f.state, s ? `${rs.label}${s.enabled === false ? ' (disabled in config)' : ''}` : '—');
    const ex = exchangeText(s, st().statusAt, now);
    setText(f.exchange, ex.text);
    f.exchange.dataset.state = ex.state;
    setText(f.started, s?.started_at ? fmt.time(s.started_at) : '—');
    const up = s?.running && s.uptime_s !== undefined ? Number(s.uptime_s) * 1000 + Math.max(0, now - st().statusAt) : null;
    setText(f.uptime, up === null ? '—' : fmt.duration(up));
    const c = s?.config;
    setText(f.rules, c ? `${c.leverage}× · TP +$${fmt.num(c.primary_target_dollars)} · floor +$${fmt.num(c.absolute_floor_dollars)} · SL ${fmt.num(c.stop_loss_percent)} %${c.pure_3_rule_mode ? ' · pure 3-rule' : ''}` : '—');
    // Exchange positions the engine does not own (found at reconciliation): never touched by it.
    const untracked = Array.isArray(s?.untracked) ? s.untracked : [];
    f.untracked.hidden = untracked.length === 0;
    setText(f.untracked, untracked.length ? `Untracked exchange positions (not managed by traded): ${untracked.map((u) => `${u.symbol} ${fmt.price(u.amount)} @ ${fmt.price(u.entry_price)}`).join(', ')}. New entries on ${untracked.length > 1 ? 'these symbols' : 'this symbol'} are blocked until the position is closed on the exchange (a new entry would merge into it).` : '');
    btnStart.disabled = !s || Boolean(s.running) || s.enabled === false;
    btnStop.disabled = !s?.running;
    btnStart.textContent = s?.emergency_stopped ? 'Clear emergency & start' : 'Start';
    const note = f['enabled-note'];
    if (s && s.enabled === false) {
      note.hidden = false;
      setText(note, real ? 'Real trading is disabled in the configuration (real_trading.enabled: false): it cannot be started from here.' : 'This engine is disabled in the configuration.');
    } else note.hidden = true;
  }

  function renderSafety() {
    const s = st().safety;
    if (!s) return;
    setText(f['positions-used'], `${s.open_positions} of ${s.max_positions} used (${s.positions_remaining} left)`);
    const usedPct = s.max_positions > 0 ? (100 * s.open_positions) / s.max_positions : 100;
    setMeter(positionsMeter, usedPct, usedPct >= 100 ? 'high' : usedPct >= 75 ? 'mid' : 'low');
    const pnl = Number(s.daily_realized_pnl);
    const limit = Number(s.max_daily_loss);
    const lossPct = limit > 0 ? (100 * Math.max(0, -pnl)) / limit : 0;
    setText(f['daily-pnl'], `${fmt.pnl(pnl)} (${fmt.num(lossPct, 0)} % of the loss limit used)`);
    setDir(f['daily-pnl'], fmt.direction(pnl));
    setMeter(lossMeter, lossPct, s.daily_loss_limit_hit || lossPct >= 100 ? 'high' : lossPct >= 60 ? 'mid' : 'low');
    setText(f['loss-limit'], `${fmt.usd(-limit)} per UTC day${s.daily_loss_limit_hit ? ' — HIT: no new entries today' : ''}${s.trading_day ? ` (day ${s.trading_day})` : ''}`);
    setText(f['can-open'], s.can_open_new ? 'allowed' : 'BLOCKED');
    f['can-open'].dataset.state = s.can_open_new ? 'ok' : 'blocked';
    setText(f.stake, fmt.usd(s.stake_usd));
    // Per-symbol blocks ("REASON:SYMBOL") are explained from blocked_symbols; the rest as they are.
    const bySymbol = s.blocked_symbols && typeof s.blocked_symbols === 'object' ? s.blocked_symbols : {};
    const why = { UNTRACKED_POSITION: 'the exchange holds a position traded does not own; close it on the exchange' };
    const reasons = (Array.isArray(s.blocked_reasons) ? s.blocked_reasons : []).filter((r) => !String(r).includes(':'));
    replace(f.blocked, ...reasons.map((r) => h('li', {}, `Blocked: ${r}`)),
      ...Object.entries(bySymbol).map(([sym, r]) => h('li', {}, `Blocked on ${sym}: ${r}${why[r] ? ` (${why[r]})` : ''}`)));
  }

  function renderAccount() {
    const a = st().account;
    if (!a) return;
    const asset = a.asset ? ` ${a.asset}` : '';
    setText(f.wallet, `${fmt.num(a.wallet_balance)}${asset}`);
    setText(f.available, `${fmt.num(a.available_balance)}${asset}`);
    setText(f.unrealized, fmt.pnl(a.unrealized_pnl));
    setDir(f.unrealized, fmt.direction(a.unrealized_pnl));
    setText(f.margin, `${fmt.num(a.margin_balance)}${asset}`);
    setText(f['account-updated'], fmt.time(a.updated_at));
  }

  function renderPerformance(p) {
    if (!p) return;
    setText(f['perf-trades'], `${p.total_trades} (${p.winning_trades} won, ${p.losing_trades} lost)`);
    // win_rate is a percentage (SPEC §2, engine/performance.hpp).
    setText(f['perf-winrate'], p.total_trades ? fmt.percent(p.win_rate, false) : '—');
    setText(f['perf-total'], fmt.pnl(p.total_pnl));
    setDir(f['perf-total'], fmt.direction(p.total_pnl));
    setText(f['perf-avg'], p.total_trades ? fmt.pnl(p.avg_pnl) : '—');
    setDir(f['perf-avg'], fmt.direction(p.avg_pnl));
    // The daemon reports 0 when there is no loss to divide by; with wins that is "infinite".
    const pf = Number(p.profit_factor);
    const noLosses = !(pf > 0) && p.winning_trades > 0 && p.losing_trades === 0;
    setText(f['perf-pf'], !p.total_trades ? '—' : noLosses ? '∞ (no losses)' : fmt.num(pf, 2));
    setText(f['perf-dd'], fmt.usd(-Math.abs(Number(p.max_drawdown) || 0)));
    setText(f['perf-bestworst'], p.total_trades ? `${fmt.pnl(p.best_trade)} / ${fmt.pnl(p.worst_trade)}` : '—');
  }

  function floorText(p) {
    const floor = Number(st().status?.config?.absolute_floor_dollars);
    if (p.profit_floor_activated) return `ACTIVE (best ${fmt.pnl(p.highest_profit_ever)})`;
    const target = Number.isFinite(floor) && floor > 0 ? ` of +$${fmt.num(floor)}` : '';
    return `armed: best ${fmt.pnl(p.highest_profit_ever)}${target}`;
  }

  function positionRow(id) {
    const cells = {};
    const td = (name) => (cells[name] = h('td', { 'data-col': name }));
    const closeBtn = h('button', { type: 'button', class: 'close-btn', 'data-action': 'close' }, 'Close');
    closeBtn.addEventListener('click', () => actions.closePosition(id));
    const tr = h('tr', { 'data-position-id': id },
      td('symbol'), td('side'), td('entry'), td('mark'), td('qty'), td('stake'), td('leverage'), td('tp'), td('sl'), td('floor'), td('pnl'), td('pnl_pct'), td('status'),
      h('td', {}, closeBtn));
    return { tr, cells, closeBtn };
  }

  const rows = new Map();
  function renderPositions() {
    const list = [...st().positions.values()].sort((a, b) => (a.opened_at ?? 0) - (b.opened_at ?? 0));
    const seen = new Set();
    for (const p of list) {
      seen.add(p.position_id);
      let r = rows.get(p.position_id);
      if (!r) {
        r = positionRow(p.position_id);
        rows.set(p.position_id, r);
      }
      positionsBody.append(r.tr); // keeps opened_at order; moving a row keeps its button and focus
      const c = r.cells;
      setText(c.symbol, p.symbol);
      setText(c.side, p.side === 'SHORT' ? '▼ SHORT' : '▲ LONG');
      c.side.dataset.side = p.side;
      setText(c.entry, fmt.price(p.entry_price));
      setText(c.mark, fmt.price(p.mark_price));
      setText(c.qty, fmt.price(p.qty));
      setText(c.stake, fmt.usd(p.stake_usd));
      setText(c.leverage, p.leverage ? `${p.leverage}×` : '—');
      setText(c.tp, fmt.price(p.tp_price));
      setText(c.sl, fmt.price(p.sl_price));
      setText(c.floor, floorText(p));
      c.floor.dataset.state = p.profit_floor_activated ? 'active' : 'armed';
      setText(c.pnl, fmt.pnl(p.pnl));
      setDir(c.pnl, fmt.direction(p.pnl));
      setText(c.pnl_pct, fmt.pnlPct(p.pnl_pct));
      setDir(c.pnl_pct, fmt.direction(p.pnl_pct));
      setText(c.status, p.status);
      c.status.dataset.status = p.status;
      const inFlight = actions.isClosing(p.position_id);
      const closable = p.status === 'OPEN' && !inFlight;
      r.closeBtn.disabled = !closable;
      setText(r.closeBtn, p.status === 'CLOSING' || inFlight ? 'Closing…' : p.status === 'OPENING' ? 'Opening…' : 'Close');
      r.closeBtn.setAttribute('aria-label', `Close ${p.symbol} ${p.side} position`);
    }
    for (const [id, r] of rows) {
      if (!seen.has(id)) {
        r.tr.remove();
        rows.delete(id);
      }
    }
    positionsEmpty.hidden = list.length > 0;
    setText(f['positions-count'], `(${list.length})`);
  }

  function renderTrades() {
    const trades = st().trades;
    const shown = trades.slice(-TRADES_SHOWN).reverse();
    replace(tradesBody, ...shown.map((t) => {
      const dir = fmt.direction(t.pnl);
      return h('tr', { 'data-trade-id': t.trade_id },
        h('td', {}, fmt.time(t.closed_at)),
        h('td', {}, t.symbol),
        h('td', { 'data-side': t.side }, t.side === 'SHORT' ? '▼ SHORT' : '▲ LONG'),
        h('td', {}, fmt.price(t.entry_price)),
        h('td', {}, fmt.price(t.exit_price)),
        h('td', {}, fmt.price(t.qty)),
        h('td', { 'data-dir': dir }, fmt.pnl(t.pnl)),
        h('td', { 'data-dir': fmt.direction(t.pnl_pct) }, fmt.pnlPct(t.pnl_pct)),
        h('td', {}, fmt.usd(t.fees)),
        h('td', {}, t.exit_reason || '—'));
    }));
    tradesEmpty.hidden = trades.length > 0;
    for (const el of chartsEmpty) el.hidden = trades.length > 0;
    setText(f['trades-count'], trades.length > TRADES_SHOWN ? `(last ${TRADES_SHOWN} of ${trades.length})` : `(${trades.length})`);
    charts.update(trades);
  }

  function renderOpportunities() {
    replace(oppList, ...st().opportunities.slice(0, 50).map((o) => h('li', {},
      h('time', {}, fmt.time(o.ts)), ' ',
      h('strong', {}, o.symbol), ' ',
      h('span', { 'data-side': o.side }, o.side === 'SHORT' ? '▼ SHORT' : '▲ LONG'),
      o.score !== undefined && o.score !== null ? h('span', { class: 'muted' }, ` score ${fmt.num(o.score, 2)}`) : null,
      o.reason ? h('span', { class: 'muted' }, ` — ${o.reason}`) : null)));
    if (!st().opportunities.length) replace(oppList, h('li', { class: 'muted' }, 'No opportunities yet.'));
  }

  function renderPrices() {
    const s = st();
    const shown = prices.update({ positions: s.positions, trades: s.trades, quotes: s.quotes, prices: s.prices, since: Number(s.status?.started_at) || 0 });
    pricesEmpty.hidden = shown > 0;
  }

  const renderers = {
    status: () => renderStatus(Date.now()),
    safety: renderSafety,
    account: renderAccount,
    positions: renderPositions,
    trades: renderTrades,
    opportunities: renderOpportunities,
    market: renderPrices,
  };
  for (const r of Object.values(renderers)) r();

  return {
    /** Re-renders one channel (coalesced by the caller per animation frame). */
    render(channel) {
      renderers[channel]?.();
      if (channel === 'status') renderPositions(); // floor target comes from status.config
      if (channel === 'positions' || channel === 'trades' || channel === 'status') renderPrices();
    },
    renderPerformance,
    /** Once a second: ages and uptime move without any network traffic. */
    tick(now) {
      renderStatus(now);
    },
  };
}
