// Equity curve and per-trade PnL, drawn with TradingView's lightweight-charts (vendored ES module,
// see dashboard/package.json). The library is imported lazily so the tables render first and a
// failure to load it costs the charts only, not the page.

const LIB = './vendor/lightweight-charts.standalone.production.mjs';
let libPromise = null;

function loadLib() {
  libPromise ??= import(LIB);
  return libPromise;
}

function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * Chart times must be unique and ascending (seconds); trades closed within the same second get
 * consecutive seconds so every trade keeps its own point and bar.
 */
function tradePoints(trades) {
  let last = -Infinity;
  return trades.map((t) => {
    let time = Math.floor(Number(t.closed_at || 0) / 1000);
    if (time <= last) time = last + 1;
    last = time;
    return { time, pnl: Number(t.pnl) || 0 };
  });
}

/** Creates both charts in the given containers; returns {update(trades)}. */
export function createPnlCharts(equityEl, barsEl) {
  let equity = null;
  let bars = null;
  let pending = [];
  let failed = false;

  loadLib()
    .then((lwc) => {
      const common = {
        autoSize: true,
        layout: {
          background: { type: lwc.ColorType.Solid, color: 'transparent' },
          textColor: cssVar('--muted', '#9aa4b2'),
          fontFamily: getComputedStyle(document.body).fontFamily,
        },
        grid: { vertLines: { color: cssVar('--grid', '#2a313c') }, horzLines: { color: cssVar('--grid', '#2a313c') } },
        timeScale: { timeVisible: true, secondsVisible: true, borderColor: cssVar('--grid', '#2a313c') },
        rightPriceScale: { borderColor: cssVar('--grid', '#2a313c') },
        handleScroll: false,
        handleScale: false,
      };
      const eq = lwc.createChart(equityEl, common);
      const eqSeries = eq.addSeries(lwc.LineSeries, {
        color: cssVar('--accent', '#4c9aff'),
        lineWidth: 2,
        priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
      });
      const br = lwc.createChart(barsEl, common);
      const brSeries = br.addSeries(lwc.HistogramSeries, { priceFormat: { type: 'price', precision: 2, minMove: 0.01 } });
      equity = { chart: eq, series: eqSeries };
      bars = { chart: br, series: brSeries };
      draw(pending);
    })
    .catch((err) => {
      failed = true;
      for (const el of [equityEl, barsEl]) el.textContent = `Chart library failed to load: ${err.message}`;
    });

  function draw(trades) {
    if (!equity || !bars) {
      pending = trades;
      return;
    }
    const points = tradePoints(trades);
    let sum = 0;
    const eqData = points.map((p) => ({ time: p.time, value: (sum += p.pnl) }));
    // A starting point at zero so one trade still draws a line.
    if (eqData.length) eqData.unshift({ time: eqData[0].time - 1, value: 0 });
    equity.series.setData(eqData);
    const profit = cssVar('--profit', '#2fbf71');
    const loss = cssVar('--loss', '#ef5350');
    bars.series.setData(points.map((p) => ({ time: p.time, value: p.pnl, color: p.pnl >= 0 ? profit : loss })));
    equity.chart.timeScale().fitContent();
    bars.chart.timeScale().fitContent();
  }

  return {
    update(trades) {
      if (!failed) draw(trades);
    },
  };
}
