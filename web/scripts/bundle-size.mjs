// Prints the gzipped size of the JavaScript and CSS that the first page load fetches (the entry script and
// everything index.html references), and fails the build past the budget (issue 9: 250 KB of JavaScript).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET_JS = 250 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const refs = [...html.matchAll(/(?:src|href)="\/hub\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let js = 0;
for (const ref of refs) {
  const gz = gzipSync(readFileSync(join(dist, ref)), { level: 9 }).length;
  if (ref.endsWith('.js')) js += gz;
  console.log(`  ${ref}: ${(gz / 1024).toFixed(1)} KB gzipped`);
}
console.log(`initial JavaScript: ${(js / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_JS / 1024} KB)`);
if (js > BUDGET_JS) {
  console.error('initial JavaScript is over budget');
  process.exit(1);
}
