// Display formatting. Numbers arrive as JSON numbers; they are only shown, never used for money
// arithmetic beyond sums for the charts. Profit and loss always carry a sign and an arrow, so they
// are told apart without colour.

const MINUS = '\u2212';

/** "12,345.67" (fixed decimals), or an em dash for missing values. */
export function num(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) return '—';
  const n = Number(v);
  const s = Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return (n < 0 ? MINUS : '') + s;
}

/** Prices and quantities: as many decimals as they carry (up to 8), no trailing zeros. */
export function price(v) {
  if (v === null || v === undefined) return '—';
  const n = Number(v);
  // 0 means "not known yet" for prices (an OPENING position has no TP/SL price).
  if (!Number.isFinite(n) || n === 0) return '—';
  const s = Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 8 });
  return (n < 0 ? MINUS : '') + s;
}

/** "$1,234.50" / "−$3.20". */
export function usd(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const n = Number(v);
  return (n < 0 ? MINUS : '') + '$' + num(Math.abs(n), 2);
}

/** Direction of a PnL value: 'profit', 'loss' or 'flat'. */
export function direction(v) {
  const n = Number(v);
  if (!Number.isFinite(n) || Math.abs(n) < 1e-9) return 'flat';
  return n > 0 ? 'profit' : 'loss';
}

/** PnL in dollars with sign and arrow: "▲ +$12.34", "▼ −$3.20", "■ $0.00". */
export function pnl(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const d = direction(v);
  const n = Math.abs(Number(v));
  if (d === 'profit') return `▲ +$${num(n, 2)}`;
  if (d === 'loss') return `▼ ${MINUS}$${num(n, 2)}`;
  return '■ $0.00';
}

/** Percent with sign and arrow: "▲ +1.23 %". */
export function pnlPct(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const d = direction(v);
  const n = Math.abs(Number(v));
  if (d === 'profit') return `▲ +${num(n, 2)} %`;
  if (d === 'loss') return `▼ ${MINUS}${num(n, 2)} %`;
  return '■ 0.00 %';
}

/** Ratio 0..1 (or already a percent when over 1) as "62.5 %". */
export function percent(v, isRatio = true) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  const n = isRatio ? Number(v) * 100 : Number(v);
  return `${num(n, 1)} %`;
}

/** Local time of an epoch-ms timestamp: "14:03:07" today, "2024-11-23 14:03" otherwise. */
export function time(ms) {
  if (!ms) return '—';
  const d = new Date(Number(ms));
  const now = new Date();
  const pad = (x) => String(x).padStart(2, '0');
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return hms;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

/** A duration in ms as "350 ms", "4.2 s", "3 min 5 s", "2 h 10 min". */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return '—';
  const n = Math.max(0, Number(ms));
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  const s = Math.floor(n / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** "paper-trading" -> "Paper trading". */
export function modeName(mode) {
  return mode === 'real-trading' ? 'Real trading' : 'Paper trading';
}
