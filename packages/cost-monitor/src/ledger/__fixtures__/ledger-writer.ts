// Child process for the killed-ledger test: appends ledger rows as fast as it can (single rows and
// batches of 25) and prints the number of rows committed after each append returns. The parent
// kills it with SIGKILL while it writes.
import { createUsageEvent } from '@ragbridge/core-interfaces';
import { openSqliteLedger } from '../sqlite-ledger.js';
import type { LedgerEntry } from '../usage-ledger.js';

const [path] = process.argv.slice(2);
const ledger = openSqliteLedger({ path: path as string });
const row = (n: number): LedgerEntry => ({
  ...createUsageEvent({ backend: 'hf-inference-providers', modelId: 'org/model', operation: 'chat', inputTokens: n, startedAt: n, latencyMs: 1 }),
  requestId: `row-${n}`,
  costUsd: 0.000001,
  at: n,
  status: 'ok',
  priceState: 'priced',
});

let committed = 0;
process.stdout.write('ready\n');
for (;;) {
  if (committed % 100 < 50) {
    ledger.append([row(committed + 1)]);
    committed += 1;
  } else {
    ledger.append(Array.from({ length: 25 }, (_, i) => row(committed + i + 1)));
    committed += 25;
  }
  process.stdout.write(`committed ${committed}\n`);
  // Let the event loop breathe so stdout keeps flowing to the parent.
  if (committed % 500 < 26) await new Promise((resolve) => setImmediate(resolve));
}
