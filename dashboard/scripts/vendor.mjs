// Copies TradingView lightweight-charts' standalone ES-module build from node_modules (the version
// pinned in package-lock.json) into public/assets/vendor/, where the daemon build embeds it.
// The copy is committed so the C++ build never needs npm or the network; `--check` verifies that
// the committed copy is the pinned one (run by tests/browser/run.sh).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const file = 'lightweight-charts.standalone.production.mjs';
const src = join(root, 'node_modules', 'lightweight-charts', 'dist', file);
const dst = join(root, 'public', 'assets', 'vendor', file);

if (!existsSync(src)) {
  console.error(`vendor: ${src} is missing: run \`npm ci --prefix dashboard\` first`);
  process.exit(1);
}
const fresh = readFileSync(src);
if (process.argv.includes('--check')) {
  if (!existsSync(dst) || !readFileSync(dst).equals(fresh)) {
    console.error(`vendor: ${dst} differs from the pinned lightweight-charts: run \`npm --prefix dashboard run vendor\``);
    process.exit(1);
  }
  console.log('vendor: lightweight-charts copy matches package-lock.json');
} else {
  writeFileSync(dst, fresh);
  console.log(`vendor: copied ${file} (${fresh.length} bytes)`);
}
