// Browser tests of the dashboard against the real daemon (see harness.mjs). Run through
// tests/browser/run.sh <path-to-traded>.

import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDaemon, launchBrowser, eventually, parseShown, SCREENSHOTS } from './harness.mjs';

const MODE = 'paper-trading';

/** Opens a page with the token in the fragment and waits until the socket is live. */
async function openLive(browser, daemon, path = `/${MODE}`) {
  const page = await browser.newPage();
  await page.goto(`${daemon.url}${path}#access_token=${daemon.token}`);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 15000 });
  return page;
}

async function openPosition(daemon, symbol, side = 'LONG') {
  const res = await daemon.api('POST', '/api/v1/opportunities', { symbol, side, mode: MODE, reason: 'browser test' });
  assert.equal(res.status, 200, `POST /api/v1/opportunities answered ${res.status}: ${JSON.stringify(res.body)}`);
  const refused = (res.body?.data?.results || []).find((r) => r.accepted === false);
  assert.ok(!refused, `the engine refused the opportunity: ${JSON.stringify(refused?.error)}`);
  // The position itself is created by the engine from the opportunity: wait for it to be OPEN.
  return eventually(async () => {
    const r = await daemon.api('GET', `/api/v1/${MODE}/positions`);
    return r.body?.data?.find((p) => p.symbol === symbol && p.status === 'OPEN');
  }, { timeoutMs: 10000, what: `an OPEN ${symbol} position` });
}

/** Closes whatever a previous (possibly failed) test left open, so tests stay independent. */
async function closeAllPositions(daemon) {
  const r = await daemon.api('GET', `/api/v1/${MODE}/positions`);
  for (const p of r.body?.data || []) {
    if (p.status === 'OPEN') await daemon.api('POST', `/api/v1/${MODE}/close-position/${p.position_id}`);
  }
  await eventually(async () => {
    const left = (await daemon.api('GET', `/api/v1/${MODE}/positions`)).body?.data || [];
    return left.every((p) => p.status === 'CLOSED' || p.status === 'FAILED');
  }, { what: 'every position closed' });
}

describe('dashboard on a running daemon', () => {
  let daemon;
  let browser;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await daemon?.cleanup();
  });
  beforeEach(async () => {
    await closeAllPositions(daemon);
  });

  test('the page loads, connects, and takes the token out of the URL', async () => {
    const page = await openLive(browser, daemon);
    assert.ok(!page.url().includes('access_token'), 'the token is removed from the visible URL');
    assert.ok(!page.url().includes(daemon.token), 'the token is removed from the visible URL');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('traded.access_token')), daemon.token);
    // The paper engine autostarts: its status comes from the status snapshot.
    await page.locator('#run-state[data-state="running"]').waitFor();
    assert.equal(await page.locator('#run-state').textContent(), 'RUNNING');
    // Safety and account snapshots are rendered.
    await page.waitForFunction(() => /of \d+ used/.test(document.querySelector('[data-field="positions-used"]').textContent));
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-field="wallet"]').textContent));
    // A reload keeps the session's token (sessionStorage) with a clean URL.
    await page.reload();
    await page.locator('#conn[data-state="live"]').waitFor();
    assert.deepEqual(page.jsErrors, [], 'no JavaScript errors');
    await page.screenshot({ path: join(SCREENSHOTS, 'loaded.png'), fullPage: true });
    await page.close();
  });

  test('the overview shows both engines and the real page has no REAL MONEY banner while real trading is disabled', async () => {
    const page = await openLive(browser, daemon, '/');
    await page.locator('section[data-mode="paper-trading"] .pill[data-state="running"]').waitFor();
    await page.locator('section[data-mode="real-trading"] .pill[data-state="stopped"]').waitFor();
    assert.equal(await page.locator('#real-banner').isHidden(), true);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
    await page.goto(`${daemon.url}/real-trading`);
    await page.locator('#conn[data-state="live"]').waitFor();
    await page.locator('#run-state[data-state="stopped"]').waitFor();
    assert.equal(await page.locator('#real-banner').isHidden(), true);
    assert.match(await page.locator('[data-field="enabled-note"]').textContent(), /disabled/);
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });

  test('a position opened through the API appears live with its TP and SL prices', async () => {
    const page = await openLive(browser, daemon);
    const pos = await openPosition(daemon, 'BTCUSDT', 'LONG');
    const row = page.locator(`tr[data-position-id="${pos.position_id}"]`);
    await row.waitFor({ timeout: 10000 });
    assert.equal(await row.locator('[data-col="symbol"]').textContent(), 'BTCUSDT');
    assert.match(await row.locator('[data-col="side"]').textContent(), /LONG/);
    assert.ok(pos.tp_price > pos.entry_price && pos.sl_price < pos.entry_price, 'a LONG has TP above and SL below entry');
    const tp = parseShown(await row.locator('[data-col="tp"]').textContent());
    const sl = parseShown(await row.locator('[data-col="sl"]').textContent());
    const entry = parseShown(await row.locator('[data-col="entry"]').textContent());
    assert.ok(Math.abs(tp - pos.tp_price) < 1e-6, `TP shown ${tp}, API ${pos.tp_price}`);
    assert.ok(Math.abs(sl - pos.sl_price) < 1e-6, `SL shown ${sl}, API ${pos.sl_price}`);
    assert.ok(Math.abs(entry - pos.entry_price) < 1e-6, `entry shown ${entry}, API ${pos.entry_price}`);
    assert.equal(await row.locator('[data-col="status"]').textContent(), 'OPEN');
    // PnL carries a sign/arrow, not only a colour.
    assert.match(await row.locator('[data-col="pnl"]').textContent(), /^[▲▼■]/);
    // The safety card follows: the daemon pushes the new safety status (positions used).
    await page.waitForFunction(() => /^1 of \d+ used/.test(document.querySelector('[data-field="positions-used"]').textContent), null, { timeout: 5000 })
      .catch(async () => assert.fail(`safety card not updated after the open: "${await page.locator('[data-field="positions-used"]').textContent()}" (no safety event pushed?)`));
    await page.screenshot({ path: join(SCREENSHOTS, 'position-open.png'), fullPage: true });
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });

  test('the live price chart of an open position: a moved price shows, TP/SL lines at its prices', async () => {
    const page = await openLive(browser, daemon);
    assert.equal(await page.locator('#prices-empty').isVisible(), true, 'no chart without a position');
    const pos = await openPosition(daemon, 'ETHUSDT', 'SHORT');
    const chart = page.locator('[data-price-chart="ETHUSDT"]');
    await chart.waitFor({ timeout: 10000 });
    await chart.locator('canvas').first().waitFor({ timeout: 10000 }); // drawn by lightweight-charts
    // The lines sit at the position's own prices (a SHORT: TP below, SL above the entry).
    const linePrice = async (key) => Number(await chart.locator(`[data-line="${key}"]`).getAttribute('data-price'));
    await eventually(async () => (await linePrice('tp')) === pos.tp_price, { what: `TP line at ${pos.tp_price}` });
    assert.equal(await linePrice('sl'), pos.sl_price);
    assert.equal(await linePrice('entry'), pos.entry_price);
    assert.ok(pos.tp_price < pos.entry_price && pos.sl_price > pos.entry_price);
    assert.equal(await chart.locator('[data-line="floor"]').count(), 0, 'no floor line before the floor is active');
    // The synthetic market moves every 250 ms: the chart's last price follows it over the channel,
    // and equals a quote the daemon really pushed (the position's mark moves with the same quotes).
    const first = Number(await chart.getAttribute('data-last'));
    const pointsBefore = Number(await chart.getAttribute('data-points'));
    assert.ok(first > 0, 'a price is shown');
    const moved = await eventually(async () => {
      const v = Number(await chart.getAttribute('data-last'));
      return v !== first ? v : null;
    }, { what: 'the chart price to move', timeoutMs: 15000 });
    const marks = await eventually(async () => {
      const r = await daemon.api('GET', `/api/v1/${MODE}/positions`);
      const p = r.body?.data?.find((x) => x.position_id === pos.position_id);
      return p && Math.abs(p.mark_price - moved) / moved < 0.01 ? p : null;
    }, { what: 'the shown price to be near the position mark' });
    assert.ok(marks);
    assert.ok(Number(await chart.getAttribute('data-points')) >= pointsBefore);
    assert.equal(await chart.getAttribute('data-source'), 'synthetic');
    await page.screenshot({ path: join(SCREENSHOTS, 'price-chart.png'), fullPage: true });
    // Closing the position removes its chart; the trade becomes a marker for the next one.
    await daemon.api('POST', `/api/v1/${MODE}/close-position/${pos.position_id}`);
    await chart.waitFor({ state: 'detached', timeout: 10000 });
    const again = await openPosition(daemon, 'ETHUSDT', 'LONG');
    await chart.waitFor({ timeout: 10000 });
    await eventually(async () => Number(await chart.getAttribute('data-markers')) >= 2, { what: 'markers of the closed trade' });
    await daemon.api('POST', `/api/v1/${MODE}/close-position/${again.position_id}`);
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });

  test('the Close button closes the position, and a double click sends exactly one close request', async () => {
    const page = await openLive(browser, daemon);
    const pos = await openPosition(daemon, 'ETHUSDT', 'SHORT');
    const closeRequests = [];
    page.on('request', (r) => {
      if (r.url().includes('/close-position/')) closeRequests.push(r.url());
    });
    const framesSent = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => framesSent.push(String(f.payload))));
    const row = page.locator(`tr[data-position-id="${pos.position_id}"]`);
    const button = row.locator('button[data-action="close"]');
    await button.waitFor();
    await page.waitForFunction((id) => !document.querySelector(`tr[data-position-id="${id}"] button`).disabled, pos.position_id);
    await button.dblclick();
    // Two more synthetic clicks in the same task: the in-flight guard must swallow them too.
    await button.evaluate((b) => { b.click(); b.click(); }).catch(() => {});
    // The row leaves the open-positions table when the daemon pushes the close...
    await row.waitFor({ state: 'detached', timeout: 15000 });
    // ...and the trade shows up with the MANUAL exit reason.
    const trade = page.locator(`tr[data-trade-id] >> text=MANUAL`).first();
    await trade.waitFor({ timeout: 10000 });
    await new Promise((r) => setTimeout(r, 500)); // a late duplicate would have been sent by now
    assert.equal(closeRequests.length, 1, `close requests sent: ${closeRequests.length}`);
    assert.equal(framesSent.filter((f) => f.includes('close_position')).length, 0, 'commands go over REST only');
    const r = await daemon.api('GET', `/api/v1/${MODE}/trades`);
    const t = r.body.data.find((x) => x.position_id === pos.position_id);
    assert.ok(t, 'the daemon recorded the trade');
    assert.equal(t.exit_reason, 'MANUAL');
    // The daily PnL on the safety card follows the realized loss or profit of the close.
    const daily = (await daemon.api('GET', `/api/v1/${MODE}/safety-status`)).body.data.daily_realized_pnl;
    await page.waitForFunction((want) => {
      const text = document.querySelector('[data-field="daily-pnl"]').textContent;
      const shown = Number(text.replace(/\(.*$/, '').replace(/[^0-9.\u2212-]/g, '').replace('\u2212', '-'));
      return Math.abs(shown - want) < 0.006;
    }, daily, { timeout: 5000 }).catch(async () => assert.fail(`daily PnL shown "${await page.locator('[data-field="daily-pnl"]').textContent()}", daemon says ${daily} (no safety event pushed after the close?)`));
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });

  test('a page with positions, trades and charts (screenshot for docs)', async () => {
    const page = await openLive(browser, daemon);
    // BTCUSDT and ETHUSDT only: a $200 stake buys less than SOLUSDT's step of 1 above $200.
    const first = await openPosition(daemon, 'BTCUSDT', 'SHORT');
    await page.locator(`tr[data-position-id="${first.position_id}"]`).waitFor();
    const last = await openPosition(daemon, 'ETHUSDT', 'LONG');
    await page.locator(`tr[data-position-id="${last.position_id}"]`).waitFor();
    // Closed through the API: the Close button itself is covered by the double-click test, and a
    // click here could land on a row being re-rendered by a price update.
    const closed = await daemon.api('POST', `/api/v1/${MODE}/close-position/${last.position_id}`);
    assert.equal(closed.status, 200);
    await page.locator(`tr[data-position-id="${last.position_id}"]`).waitFor({ state: 'detached', timeout: 15000 });
    await page.locator('#equity-chart canvas').first().waitFor();
    await page.waitForTimeout(1500); // a few live mark-price updates
    await page.screenshot({ path: join(SCREENSHOTS, 'paper-trading.png'), fullPage: true });
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });

  test('the connection indicator shows a drop, and the page reconnects and resumes with since_seq', async () => {
    const page = await openLive(browser, daemon);
    const subscribes = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => {
      const s = String(f.payload);
      if (s.includes('"subscribe"')) subscribes.push(JSON.parse(s));
    }));
    await daemon.restart();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 30000 });
    assert.ok(subscribes.length >= 1, 'subscribed again after the restart');
    assert.ok(subscribes.every((s) => Number.isInteger(s.since_seq)), `resubscribe carries since_seq: ${JSON.stringify(subscribes)}`);
    await page.locator('#run-state[data-state="running"]').waitFor();
    await page.close();
  });

  test('the token prompt: missing, then wrong, then right', async () => {
    const page = await browser.newPage();
    await page.goto(`${daemon.url}/${MODE}`);
    const dialog = page.locator('#token-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.locator('#conn[data-state="unauthorized"]').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'token-prompt.png') });
    await page.locator('#token-input').fill('not-the-token');
    await page.locator('#token-input').press('Enter');
    await page.waitForFunction(() => /rejected/.test(document.getElementById('token-reason').textContent) && document.getElementById('token-dialog').open);
    await page.locator('#token-input').fill(daemon.token);
    await page.locator('#token-dialog button[value="connect"]').click();
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 15000 });
    assert.equal(await dialog.isVisible(), false);
    await page.close();
  });

  test('a token rotated under an open page raises the prompt on the next 401', async () => {
    const page = await openLive(browser, daemon);
    // Let the on-connect performance fetch finish with the good token first.
    await page.waitForFunction(() => document.querySelector('[data-field="perf-trades"]').textContent !== '—');
    await page.evaluate(() => sessionStorage.setItem('traded.access_token', 'stale-token'));
    // The next command answers 401: the page asks for the token instead of failing silently.
    await page.locator('#btn-limits').click();
    await page.locator('#limits-stake').fill('150');
    await page.locator('#limits-dialog button[value="save"]').click();
    await page.locator('#token-dialog').waitFor({ state: 'visible' });
    assert.match(await page.locator('#token-reason').textContent(), /rejected/);
    await page.close();
  });

  test('the safety-limits editor changes the limits through PUT safety-limits', async () => {
    const page = await openLive(browser, daemon);
    await page.locator('#btn-limits').click();
    await page.locator('#limits-max').fill('7');
    await page.locator('#limits-dialog button[value="save"]').click();
    await page.locator('#limits-dialog').waitFor({ state: 'hidden' });
    await page.waitForFunction(() => /of 7 used/.test(document.querySelector('[data-field="positions-used"]').textContent));
    const r = await daemon.api('GET', `/api/v1/${MODE}/safety-status`);
    assert.equal(r.body.data.max_positions, 7);
    // A negative count is stopped by the form itself: nothing is sent.
    const puts = [];
    page.on('request', (req) => {
      if (req.method() === 'PUT') puts.push(req.url());
    });
    await page.locator('#btn-limits').click();
    await page.locator('#limits-max').fill('-3');
    await page.locator('#limits-dialog button[value="save"]').click();
    await page.waitForTimeout(300);
    assert.equal(puts.length, 0);
    assert.equal(await page.locator('#limits-dialog').isVisible(), true);
    // A zero stake passes the form but the daemon refuses it, and the dialog says why.
    await page.locator('#limits-max').fill('7');
    await page.locator('#limits-stake').fill('0');
    await page.locator('#limits-dialog button[value="save"]').click();
    await page.locator('#limits-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#limits-error').textContent(), /[A-Z_]+: /);
    await page.keyboard.press('Escape');
    await page.locator('#limits-dialog').waitFor({ state: 'hidden' });
    assert.equal((await daemon.api('GET', `/api/v1/${MODE}/safety-status`)).body.data.max_positions, 7);
    await page.close();
  });
});

describe('emergency stop', () => {
  let daemon;
  let browser;

  before(async () => {
    daemon = await startDaemon();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await daemon?.cleanup();
  });

  test('the real-trading confirmation says REAL MONEY', async () => {
    const page = await openLive(browser, daemon, '/real-trading');
    await page.locator('#btn-emergency').click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    assert.match(await page.locator('#confirm-dialog').innerText(), /REAL MONEY/);
    await page.keyboard.press('Escape');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    await page.close();
  });

  test('cancel does nothing; confirm latches the engine in emergency', async () => {
    const page = await openLive(browser, daemon);
    const pos = await openPosition(daemon, 'ETHUSDT', 'LONG');
    await page.locator(`tr[data-position-id="${pos.position_id}"]`).waitFor();
    const sent = [];
    page.on('request', (r) => {
      if (r.url().includes('/emergency-stop')) sent.push(r.url());
    });
    await page.locator('#run-state[data-state="running"]').waitFor();

    // Cancel with the button, then with Escape: no request, still running.
    await page.locator('#btn-emergency').click();
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    assert.doesNotMatch(await page.locator('#confirm-dialog').innerText(), /REAL MONEY/);
    await page.screenshot({ path: join(SCREENSHOTS, 'emergency-confirm.png') });
    await page.locator('#confirm-cancel').click();
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    await page.locator('#btn-emergency').focus();
    await page.keyboard.press('Enter');
    await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
    await page.waitForTimeout(300);
    assert.equal(sent.length, 0, 'cancel sends nothing');
    assert.equal((await daemon.api('GET', `/api/v1/${MODE}/status`)).body.data.emergency_stopped, false);
    assert.equal(await page.locator('#run-state').textContent(), 'RUNNING');

    // Confirm: one request, the engine latches, open positions are closed.
    await page.locator('#btn-emergency').click();
    await page.locator('#confirm-ok').click();
    await page.locator('#run-state[data-state="emergency"]').waitFor({ timeout: 15000 });
    assert.equal(await page.locator('#run-state').textContent(), 'EMERGENCY');
    assert.equal(sent.length, 1);
    const status = (await daemon.api('GET', `/api/v1/${MODE}/status`)).body.data;
    assert.equal(status.emergency_stopped, true);
    assert.equal(status.running, false);
    await page.locator(`tr[data-position-id="${pos.position_id}"]`).waitFor({ state: 'detached', timeout: 15000 });
    await page.locator('tr[data-trade-id] >> text=EMERGENCY').first().waitFor();
    // The Start button now offers to clear the latch (the daemon refuses a plain start).
    assert.match(await page.locator('#btn-start').textContent(), /Clear emergency/);
    await page.screenshot({ path: join(SCREENSHOTS, 'emergency.png'), fullPage: true });
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });
});

describe('real trading enabled', () => {
  let daemon;
  let browser;

  before(async () => {
    daemon = await startDaemon({ realEnabled: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await daemon?.cleanup();
  });

  test('the real-trading page and the overview show a persistent REAL MONEY banner', async () => {
    const page = await openLive(browser, daemon, '/real-trading');
    const banner = page.locator('#real-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /REAL MONEY/);
    await page.screenshot({ path: join(SCREENSHOTS, 'real-trading.png'), fullPage: true });
    // Still there after live updates and on the overview; not on the paper page.
    await page.waitForTimeout(1000);
    assert.equal(await banner.isVisible(), true);
    await page.goto(`${daemon.url}/`);
    await page.locator('#real-banner').waitFor({ state: 'visible' });
    await page.goto(`${daemon.url}/paper-trading`);
    await page.locator('#conn[data-state="live"]').waitFor();
    assert.equal(await page.locator('#real-banner').isHidden(), true);
    assert.deepEqual(page.jsErrors, []);
    await page.close();
  });
});
