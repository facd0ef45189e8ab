// A runnable tour of @ragbridge/runtime with the offline profile (no network, no keys, no models):
//
//   npm run example -w @ragbridge/runtime
//
// It writes a small Markdown document to a temporary folder, ingests it, asks a question and
// prints the answer with its citations, which step of each chain served, and the usage ledger.
import { getBuiltInProfile } from '@ragbridge/config-profiles';
import { createRuntime } from '@ragbridge/runtime';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ragbridge-runtime-'));
writeFileSync(
  join(dir, 'rv32i.md'),
  [
    '# RV32I Base Integer Instruction Set',
    '',
    'RV32I has 32 general-purpose registers named x0 to x31, each 32 bits wide.',
    'Register x0 is hardwired to the constant zero, so writes to it are discarded.',
    '',
    '## Instruction Encoding',
    '',
    'The funct3 field selects the operation within the major opcode of a register-register instruction.',
  ].join('\n'),
);

// Store, ledger and caches go under baseDir (the profile's relative paths resolve against it).
const runtime = await createRuntime({ config: getBuiltInProfile('offline'), baseDir: dir });
console.log(runtime.explain().text.split('\n').slice(0, 2).join('\n'));

const report = await runtime.pipeline.ingest([dir]);
console.log(`\ningested ${report.added.length} document(s), ${report.chunks} chunks, ${report.embedded} embedded`);

const { answer } = await runtime.pipeline.ask('Which register is hardwired to zero?');
console.log(`\n${answer.text}`);
for (const c of answer.citations) console.log(`  [${c.index}] ${c.docName}, page ${c.pageLabel}`);

console.log('\nserved by:', answer.usage.map((u) => `${u.operation} → ${u.backend} (step ${u.fallbackStep})`).join(', '));
for (const part of runtime.parts()) console.log(`${part.part}: ${part.steps.map((s) => `${s.backend}${s.model ? ` ${s.model}` : ''} [${s.breaker}]`).join(' → ')}`);

const totals = await runtime.monitor.ledger.totals();
console.log(`\nledger: ${totals.calls} calls (${totals.errorCalls} failed), $${totals.costUsd.toFixed(4)}`);
await runtime.close();
