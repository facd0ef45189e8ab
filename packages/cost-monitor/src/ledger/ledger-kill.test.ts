import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqliteLedger } from './sqlite-ledger.js';

const writer = fileURLToPath(new URL('./__fixtures__/ledger-writer.ts', import.meta.url));

describe('a ledger whose process is killed while writing', () => {
  it('keeps every row reported committed and stays readable and writable', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rb-ledger-kill-')), 'usage.db');
    const child = spawn(process.execPath, ['--conditions=@ragbridge/source', '--import', 'tsx', writer, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<NodeJS.Signals | null>((resolve, reject) => {
      child.on('exit', (_code, signal) => resolve(signal));
      child.on('error', reject);
    });
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      // Kill mid-stream: by now it has committed thousands of rows and is writing the next ones.
      if (!killed && output.includes('committed 3000\n')) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    expect(await exit).toBe('SIGKILL');
    expect(stderr).toBe('');
    const reported = [...output.matchAll(/committed (\d+)\n/g)].map((m) => Number(m[1]));
    const lastReported = reported.at(-1) ?? 0;
    expect(lastReported).toBeGreaterThanOrEqual(3000);

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    const ledger = openSqliteLedger({ path });
    const rows = ledger.query();
    // Nothing acknowledged is lost; at most the batch in flight at the kill is extra.
    expect(rows.length).toBeGreaterThanOrEqual(lastReported);
    expect(rows.length).toBeLessThanOrEqual(lastReported + 25);
    const ids = new Set(rows.map((r) => r.requestId));
    for (let n = 1; n <= lastReported; n++) expect(ids.has(`row-${n}`)).toBe(true);
    expect(ledger.totals().calls).toBe(rows.length);
    // And it still takes writes.
    const last = rows.at(-1) as (typeof rows)[number];
    ledger.append([{ ...last, at: last.at + 1, requestId: 'after-restart' }]);
    expect(ledger.query({ limit: 1 })[0]?.requestId).toBe('after-restart');
    ledger.close();
  });
});
