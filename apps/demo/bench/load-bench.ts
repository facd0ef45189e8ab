// Load benchmark of the demo app in the `hf-spaces` profile on the fake Hugging Face service.
//
//   npm run build && npm run bench:demo -- --corpus ../shared/corpus --qa ../shared/eval/dev-qa.json
//   options: --clients 50 --seconds 60 --latency 200 (fake model latency, ms)
//
// 1. ingests the corpus through the API into a fresh data folder (embeddings from the fake);
// 2. restarts the server: cold start to ready with the persisted store and index;
// 3. N clients ask questions in a loop for S seconds (each reads the whole SSE answer);
// prints throughput, latency p50/p95, errors and the server's peak RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeHf } from '@ragbridge/testkit';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    qa: { type: 'string' },
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    latency: { type: 'string', default: '200' },
    /** Node options of the server process; the default is the Dockerfile's. */
    'node-options': { type: 'string', default: '--max-old-space-size=192' },
    /** Reuse a data folder prepared by an earlier run (skips the ingest). */
    'data-dir': { type: 'string' },
  },
});
const APP = resolve(import.meta.dirname, '..');
const MAIN = join(APP, 'dist', 'main.js');
const TOKEN = 'hf_benchmarkFakeToken_000000000000';
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const mb = (kb: number): string => `${Math.round(kb / 1024)} MB`;

function procStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

const hf = await startFakeHf({
  port: 0,
  token: TOKEN,
  latencyMs: Number(values.latency),
});
const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'rb-load-'));
const port = 17_000 + Math.floor(Math.random() * 2000);
const url = `http://127.0.0.1:${port}`;

function startServer(): { child: ChildProcess; ready: Promise<number> } {
  const t0 = performance.now();
  const nodeOptions = values['node-options'] ? values['node-options'].split(/\s+/) : [];
  const child = spawn(process.execPath, [...nodeOptions, '--import', join(APP, 'bench', 'redirect-hf.mjs'), MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RAGBRIDGE_PROFILE: 'hf-spaces',
      SPACE_ID: 'ragbridge/load-bench',
      HF_TOKEN: TOKEN,
      FAKE_HF_URL: hf.url,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      RATE_LIMIT_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout?.on('data', () => undefined);
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${url}/health`)).ok) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { child, ready };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

console.log(`ragbridge demo load benchmark · node ${process.version}`);
console.log(`reproduce: npm run bench:demo -- ${process.argv.slice(2).join(' ')}\n`);

// 1. Ingest.
let server = startServer();
await server.ready;
if (values.corpus && !values['data-dir']) {
  const files = readdirSync(values.corpus).filter((f) => /\.(pdf|md|txt|html?)$/i.test(f));
  const t0 = performance.now();
  for (const file of files) {
    const form = new FormData();
    form.append('file', new File([readFileSync(join(values.corpus, file))], file));
    const response = await fetch(`${url}/api/documents`, { method: 'POST', body: form });
    if (response.status !== 202) throw new Error(`upload of ${file} failed: ${response.status} ${await response.text()}`);
    const { job } = (await response.json()) as { job: string };
    const events = await (await fetch(`${url}/api/jobs/${job}`)).text();
    if (!events.includes('event: done')) throw new Error(`ingest of ${file} failed: ${events.slice(-300)}`);
  }
  console.log(`Ingest via the API: ${files.length} files in ${((performance.now() - t0) / 1000).toFixed(1)} s (embeddings from the fake service)`);
}
const ingestPeak = procStatus(server.child.pid as number, 'VmHWM');
await stop(server.child);

// 2. Cold start with the persisted store.
server = startServer();
const coldMs = await server.ready;
console.log(`Cold start to ready (persisted store and index): ${Math.round(coldMs)} ms (goal ≤ 1,500 ms)`);
const pid = server.child.pid as number;
const baseline = procStatus(pid, 'VmRSS');

// 3. Load.
const questions = values.qa
  ? (JSON.parse(readFileSync(values.qa, 'utf8')) as Array<{ question: string }>).map((q) => q.question)
  : ['What does the vtype register hold?', 'When is Enhanced Documentation required?', 'What is the encoding of MRET?'];
const clients = Number(values.clients);
const deadline = Date.now() + Number(values.seconds) * 1000;
const latencies: number[] = [];
let errors = 0;
let peakRss = baseline;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, procStatus(pid, 'VmRSS'))), 50);
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    let i = c;
    while (Date.now() < deadline) {
      const question = questions[i++ % questions.length] as string;
      const t0 = performance.now();
      try {
        const response = await fetch(`${url}/api/ask`, { method: 'POST', body: JSON.stringify({ question }), headers: { 'content-type': 'application/json' } });
        const body = await response.text();
        if (response.status !== 200 || body.includes('event: error') || !body.includes('event: done')) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  }),
);
clearInterval(sampler);
const seconds = Number(values.seconds);
const hwm = procStatus(pid, 'VmHWM');
console.log(`Load: ${clients} clients × ${seconds} s, fake model latency ${values.latency} ms per request, server node options "${values['node-options']}"`);
console.log(`  answers ${latencies.length} · throughput ${(latencies.length / seconds).toFixed(1)}/s · p50 ${Math.round(percentile(latencies, 50))} ms · p95 ${Math.round(percentile(latencies, 95))} ms · errors ${errors} (goal 0)`);
console.log(`  server RSS: at ready ${mb(baseline)} · peak under load ${mb(peakRss)} (sampled) · process high-water mark ${mb(hwm)} (goal ≤ 250 MB) · during the corpus ingest ${mb(ingestPeak)}`);
await stop(server.child);
await hf.close();
console.log(`data folder (reuse with --data-dir): ${dataDir}`);
