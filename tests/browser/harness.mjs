// Test harness: starts the REAL `traded` binary on a free loopback port with a temp data dir and
// a config that runs paper trading on the synthetic market with no automatic strategy (so the only
// positions are the ones a test opens), and drives Debian's /usr/bin/chromium through
// playwright-core (installed by `npm ci --prefix dashboard`).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const requireFromDashboard = createRequire(join(here, '..', '..', 'dashboard', 'package.json'));
const { chromium } = requireFromDashboard('playwright-core');

export const SCREENSHOTS = join(here, 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

const BIN = process.env.TRADED_BIN;
if (!BIN) throw new Error('TRADED_BIN is not set: run tests/browser/run.sh <path-to-traded>');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value or the deadline passes. */
export async function eventually(fn, { timeoutMs = 10000, intervalMs = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/**
 * Starts a daemon. Returns {url, token, port, dataDir, api(method, path, body), stop(), restart(), log()}.
 * The token is never printed: assertion messages only name it as "<token>".
 */
export async function startDaemon({ realEnabled = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'traded-browser-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  // Real trading enabled (never started) points at a closed loopback port: no exchange exists.
  const deadPort = realEnabled ? await freePort() : 0;
  const real = realEnabled
    ? `real_trading:
  enabled: true
exchange:
  rest_url: http://127.0.0.1:${deadPort}
  ws_public_url: ws://127.0.0.1:${deadPort}
  ws_market_url: ws://127.0.0.1:${deadPort}
  ws_private_url: ws://127.0.0.1:${deadPort}
`
    : `real_trading:
  enabled: false
`;
  const configFile = join(dir, 'traded.yaml');
  writeFileSync(configFile, `server:
  bind: 127.0.0.1
  port: ${port}
  api_token: "${token}"
storage:
  data_dir: ${dataDir}
market:
  source: synthetic
  symbols: [BTCUSDT, ETHUSDT, SOLUSDT]
  synthetic: {seed: 7, interval_ms: 250, volatility_bps: 5}
paper_trading:
  enabled: true
  autostart: true
${real}opportunities:
  strategy: none
log:
  level: info
`, { mode: 0o600 });

  let child = null;
  let output = '';
  const url = `http://127.0.0.1:${port}`;

  async function launch() {
    child = spawn(BIN, ['--config', configFile, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (d) => {
      output += d.toString().split(token).join('<token>');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve(`exited early (code ${code}, signal ${sig})`)));
    await Promise.race([
      eventually(async () => (await fetch(`${url}/healthz`)).ok, { timeoutMs: 20000, what: 'traded /healthz' }),
      exited.then((why) => {
        throw new Error(`traded ${why}; output:\n${output}`);
      }),
    ]);
  }

  async function stop() {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const c = child;
    const done = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10000);
    await done;
    clearTimeout(t);
  }

  try {
    await launch();
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  async function api(method, path, body) {
    const res = await fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    return { status: res.status, body: json };
  }

  return {
    url,
    token,
    port,
    dataDir,
    api,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    log: () => output,
    cleanup: async () => {
      await stop();
      // The daemon's output (token redacted) stays beside the screenshots for post-mortems.
      writeFileSync(join(SCREENSHOTS, `traded-${port}.log`), output);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches headless Debian Chromium with a fresh profile. */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'traded-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.jsErrors = errors;
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** "60,123.4" / "−3.2" -> number. */
export function parseShown(text) {
  return Number(String(text).replace(/[^0-9.\u2212-]/g, '').replace('\u2212', '-'));
}
