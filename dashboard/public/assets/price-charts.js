// Live price charts (SPEC §3 `market` channel): one chart per symbol with an open position, the
// mark price from the channel's history and quotes, horizontal lines at the position's entry, TP
// and SL (labelled "Floor" once the profit floor moved the stop there), and markers for the trades
// of this symbol closed since the engine started. Drawn with the vendored lightweight-charts.
// Each chart also carries its figures as text (legend, data-* attributes), so what it shows can be
// read without the canvas.

import { h } from './dom.js';
import * as fmt from './format.js';

const LIB = './vendor/lightweight-charts.standalone.production.mjs';
let libPromise = null;
const OPEN = new Set(['OPENING', 'OPEN', 'CLOSING']);

function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Chart points in seconds, ascending and unique (the last price within a second wins). */
function toSeries(points, extra) {
  const bySecond = new Map();
  for (const [ts, v] of [...points, ...extra]) {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) continue;
    bySecond.set(Math.floor(Number(ts) / 1000), n);
  }
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

/** The lines a position puts on its chart: [{key, title, price}]. */
export function positionLines(p) {
  const lines = [];
  const add = (key, title, price) => {
    if (Number(price) > 0) lines.push({ key, title, price: Number(price) });
  };
  add('entry', 'Entry', p.entry_price);
  add('tp', 'TP', p.tp_price);
  if (p.profit_floor_activated) add('floor', 'Floor', p.sl_price);
  else add('sl', 'SL', p.sl_price);
  return lines;
}

/** Mounts the charts into `root`; returns {update(state) -> number of charts shown}. */
export function createPriceCharts(root) {
  const charts = new Map(); // symbol -> {el, legend, chart, series, markers, lines: Map}
  let lwc = null;
  let failed = '';
  let last = null;

  libPromise ??= import(LIB);
  libPromise
    .then((lib) => {
      lwc = lib;
      if (last) update(last);
    })
    .catch((err) => {
      failed = err.message;
      if (last) update(last);
    });

  function makeChart(symbol) {
    const canvas = h('div', { class: 'chart price-chart', role: 'img', 'aria-label': `${symbol} mark price with the position's entry, take-profit and stop levels` });
    const legend = h('dl', { class: 'price-legend' });
    const el = h('section', { class: 'price-card', 'data-price-chart': symbol }, h('h3', {}, symbol), canvas, legend);
    root.append(el);
    const c = { el, canvas, legend, chart: null, series: null, markers: null, lines: new Map() };
    if (lwc) {
      const grid = cssVar('--grid', '#2a313c');
      c.chart = lwc.createChart(canvas, {
        autoSize: true,
        layout: { background: { type: lwc.ColorType.Solid, color: 'transparent' }, textColor: cssVar('--muted', '#9aa4b2'), fontFamily: getComputedStyle(document.body).fontFamily },
        grid: { vertLines: { color: grid }, horzLines: { color: grid } },
        timeScale: { timeVisible: true, secondsVisible: true, borderColor: grid },
        rightPriceScale: { borderColor: grid },
      });
      c.series = c.chart.addSeries(lwc.LineSeries, {
        color: cssVar('--accent', '#4c9aff'),
        lineWidth: 2,
        priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
        // Keep the entry/TP/SL/floor lines in view: by default the scale follows the prices only,
        // and a TP or SL a few percent away would sit off the chart.
        autoscaleInfoProvider: (original) => {
          const r = original();
          const levels = [...c.lines.values()].map((l) => l.price);
          if (!r || !r.priceRange || !levels.length) return r;
          return { ...r, priceRange: { minValue: Math.min(r.priceRange.minValue, ...levels), maxValue: Math.max(r.priceRange.maxValue, ...levels) } };
        },
      });
      c.markers = lwc.createSeriesMarkers(c.series, []);
    } else if (failed) {
      canvas.textContent = `Chart library failed to load: ${failed}`;
    }
    charts.set(symbol, c);
    return c;
  }

  function drawLines(c, lines) {
    const colors = { entry: cssVar('--muted', '#9aa4b2'), tp: cssVar('--profit', '#2fbf71'), sl: cssVar('--loss', '#ef5350'), floor: cssVar('--warn', '#f5a623') };
    const want = new Set(lines.map((l) => l.key));
    for (const [key, pl] of c.lines) {
      if (!want.has(key)) {
        c.series?.removePriceLine(pl.line);
        c.lines.delete(key);
      }
    }
    for (const l of lines) {
      const have = c.lines.get(l.key);
      if (have && have.price === l.price) continue;
      if (have) c.series?.removePriceLine(have.line);
      const line = c.series?.createPriceLine({ price: l.price, color: colors[l.key], lineWidth: 1, lineStyle: l.key === 'entry' ? 0 : 2, axisLabelVisible: true, title: l.title });
      c.lines.set(l.key, { price: l.price, line });
    }
  }

  /** state: {positions (Map), trades (oldest first), quotes (Map), prices (Map), since (ms)}. */
  function update(state) {
    last = state;
    const bySymbol = new Map();
    for (const p of state.positions.values()) if (OPEN.has(p.status) && !bySymbol.has(p.symbol)) bySymbol.set(p.symbol, p);
    for (const [symbol, c] of charts) {
      if (!bySymbol.has(symbol)) {
        c.chart?.remove();
        c.el.remove();
        charts.delete(symbol);
      }
    }
    for (const symbol of [...bySymbol.keys()].sort()) {
      const p = bySymbol.get(symbol);
      let c = charts.get(symbol);
      if (c && !c.chart && lwc) {
        c.el.remove();
        charts.delete(symbol);
        c = null;
      }
      c ??= makeChart(symbol);
      const trades = state.trades.filter((t) => t.symbol === symbol && Number(t.closed_at) >= state.since);
      const tradePoints = trades.flatMap((t) => [[t.opened_at, t.entry_price], [t.closed_at, t.exit_price]]);
      const data = toSeries(state.prices.get(symbol) || [], tradePoints);
      const q = state.quotes.get(symbol);
      const lastPrice = q ? Number(q.mark) : data.length ? data[data.length - 1].value : Number(p.mark_price);
      const lines = positionLines(p);
      if (c.series) {
        c.series.setData(data);
        drawLines(c, lines);
        c.markers.setMarkers(trades.flatMap((t) => {
          const long = t.side !== 'SHORT';
          return [
            { time: Math.floor(Number(t.opened_at) / 1000), position: long ? 'belowBar' : 'aboveBar', shape: long ? 'arrowUp' : 'arrowDown', color: cssVar('--accent', '#4c9aff'), text: long ? 'LONG' : 'SHORT' },
            { time: Math.floor(Number(t.closed_at) / 1000), position: 'inBar', shape: 'circle', color: Number(t.pnl) >= 0 ? cssVar('--profit', '#2fbf71') : cssVar('--loss', '#ef5350'), text: `${t.exit_reason || 'closed'} ${fmt.usd(t.pnl)}` },
          ];
        }).sort((a, b) => a.time - b.time));
      }
      c.el.dataset.last = String(lastPrice);
      c.el.dataset.points = String(data.length);
      c.el.dataset.markers = String(trades.length * 2);
      c.el.dataset.source = q?.source || '';
      const items = [['last', `Mark${q?.source ? ` (${q.source})` : ''}`, lastPrice], ...lines.map((l) => [l.key, l.title, l.price])];
      c.legend.replaceChildren(...items.map(([key, title, price]) => h('div', { class: 'kv', 'data-line': key, 'data-price': String(price) }, h('dt', {}, title), h('dd', {}, fmt.price(price)))));
    }
    return bySymbol.size;
  }

  return { update };
}
