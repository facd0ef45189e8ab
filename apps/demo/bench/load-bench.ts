// Load benchmark of the demo app in the `hf-spaces` profile on the fake Hugging Face service.
//
//   npm run build && npm run bench:demo -- --corpus ../shared/corpus --qa ../shared/eval/dev-qa.json
//   options: --clients 50 --seconds 60 --latency 200 (fake model latency, ms)
//
// 1. ingests the corpus through the API into a fresh data folder (embeddings from the fake);
// 2. restarts the server: cold start to ready with the persisted store and index;
// 3. N clients ask questions in a loop for S seconds (each reads the whole SSE answer);
// prints throughput, latency p50/p95, errors and the server's peak RSS;
// 4. a fresh server ingests --uploads PDFs of --upload-mb MB each, all posted at once, while the
//    clients keep asking: peak RSS, /api/health latency (p50/p99/max, polled every 100 ms from a
//    separate process, bench/health-prober.mjs) and errors while the uploads are extracted and
//    committed (--uploads 0 skips it).
// The server starts as the Space image starts it: the node options of the Dockerfile's CMD and
// its ENV values (apps/demo/space/runtime.mjs), unless --node-options says otherwise.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startFakeHf, writeSimplePdf } from "@ragbridge/testkit";
import { spaceRuntime } from "../space/runtime.mjs";

const { values } = parseArgs({
  options: {
    corpus: { type: "string" },
    qa: { type: "string" },
    clients: { type: "string", default: "50" },
    seconds: { type: "string", default: "60" },
    latency: { type: "string", default: "200" },
    /** Node options of the server process; the default is the Dockerfile's CMD's. */
    "node-options": { type: "string" },
    /** Reuse a data folder prepared by an earlier run (skips the ingest). */
    "data-dir": { type: "string" },
    /** Phase 4: PDFs uploaded at once while the clients ask (0: skip). */
    uploads: { type: "string", default: "4" },
    /** Size of each upload, MB. */
    "upload-mb": { type: "string", default: "20" },
    /** Text pages of each generated upload (the rest of its size is an embedded binary stream). */
    "upload-pages": { type: "string", default: "600" },
    /** Upload this PDF instead of generated ones. */
    "upload-file": { type: "string" },
  },
});
const APP = resolve(import.meta.dirname, "..");
const RUNTIME = spaceRuntime();
const NODE_OPTIONS = values["node-options"] ?? RUNTIME.nodeArgs.join(" ");
const MAIN = join(APP, "dist", "main.js");
const TOKEN = "hf_benchmarkFakeToken_000000000000";
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const mb = (kb: number): string => `${Math.round(kb / 1024)} MB`;

function procStatus(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
    readFileSync(`/proc/${pid}/status`, "utf8")
  );
  return m ? Number(m[1]) : 0;
}

const hf = await startFakeHf({
  port: 0,
  token: TOKEN,
  latencyMs: Number(values.latency),
});
const dataDir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "rb-load-"));
const port = 17_000 + Math.floor(Math.random() * 2000);
const url = `http://127.0.0.1:${port}`;

function startServer(dir = dataDir): {
  child: ChildProcess;
  ready: Promise<number>;
} {
  const t0 = performance.now();
  const nodeOptions = NODE_OPTIONS ? NODE_OPTIONS.split(/\s+/) : [];
  const child = spawn(
    process.execPath,
    [...nodeOptions, "--import", join(APP, "bench", "redirect-hf.mjs"), MAIN],
    {
      env: {
        ...RUNTIME.env,
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RAGBRIDGE_PROFILE: "hf-spaces",
        SPACE_ID: "ragbridge/load-bench",
        HF_TOKEN: TOKEN,
        FAKE_HF_URL: hf.url,
        DATA_DIR: dir,
        HOST: "127.0.0.1",
        PORT: String(port),
        RATE_LIMIT_PER_MINUTE: "1000000",
      },
      stdio: ["ignore", "pipe", "inherit"],
    }
  );
  child.stdout?.on("data", () => undefined);
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the server exited with ${child.exitCode}`);
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
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}

console.log(`ragbridge demo load benchmark · node ${process.version}`);
console.log(
  `reproduce: npm run bench:demo -- ${process.argv.slice(2).join(" ")}\n`
);

// 1. Ingest.
let server = startServer();
await server.ready;
if (values.corpus && !values["data-dir"]) {
  const files = readdirSync(values.corpus).filter((f) =>
    /\.(pdf|md|txt|html?)$/i.test(f)
  );
  const t0 = performance.now();
  for (const file of files) {
    const form = new FormData();
    form.append(
      "file",
      new File([readFileSync(join(values.corpus, file))], file)
    );
    const response = await fetch(`${url}/api/documents`, {
      method: "POST",
      body: form,
    });
    if (response.status !== 202)
      throw new Error(
        `upload of ${file} failed: ${response.status} ${await response.text()}`
      );
    const { job } = (await response.json()) as { job: string };
    const events = await (await fetch(`${url}/api/jobs/${job}`)).text();
    if (!events.includes("event: done"))
      throw new Error(`ingest of ${file} failed: ${events.slice(-300)}`);
  }
  console.log(
    `Ingest via the API: ${files.length} files in ${(
      (performance.now() - t0) /
      1000
    ).toFixed(1)} s (embeddings from the fake service)`
  );
}
const ingestPeak = procStatus(server.child.pid as number, "VmHWM");
await stop(server.child);

// 2. Cold start with the persisted store.
server = startServer();
const coldMs = await server.ready;
console.log(
  `Cold start to ready (persisted store and index): ${Math.round(
    coldMs
  )} ms (goal ≤ 1,500 ms)`
);
const pid = server.child.pid as number;
const baseline = procStatus(pid, "VmRSS");

// 3. Load.
const questions = values.qa
  ? (
      JSON.parse(readFileSync(values.qa, "utf8")) as Array<{ question: string }>
    ).map((q) => q.question)
  : [
      "What does the vtype register hold?",
      "When is Enhanced Documentation required?",
      "What is the encoding of MRET?",
    ];
const clients = Number(values.clients);
const deadline = Date.now() + Number(values.seconds) * 1000;
const latencies: number[] = [];
let errors = 0;
let peakRss = baseline;
const sampler = setInterval(
  () => (peakRss = Math.max(peakRss, procStatus(pid, "VmRSS"))),
  50
);
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    let i = c;
    while (Date.now() < deadline) {
      const question = questions[i++ % questions.length] as string;
      const t0 = performance.now();
      try {
        const response = await fetch(`${url}/api/ask`, {
          method: "POST",
          body: JSON.stringify({ question }),
          headers: { "content-type": "application/json" },
        });
        const body = await response.text();
        if (
          response.status !== 200 ||
          body.includes("event: error") ||
          !body.includes("event: done")
        )
          errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  })
);
clearInterval(sampler);
const seconds = Number(values.seconds);
const hwm = procStatus(pid, "VmHWM");
console.log(
  `Load: ${clients} clients × ${seconds} s, fake model latency ${values.latency} ms per request, server node options "${NODE_OPTIONS}"`
);
console.log(
  `  answers ${latencies.length} · throughput ${(
    latencies.length / seconds
  ).toFixed(1)}/s · p50 ${Math.round(
    percentile(latencies, 50)
  )} ms · p95 ${Math.round(
    percentile(latencies, 95)
  )} ms · errors ${errors} (goal 0)`
);
console.log(
  `  server RSS: at ready ${mb(baseline)} · peak under load ${mb(
    peakRss
  )} (sampled) · process high-water mark ${mb(
    hwm
  )} (goal ≤ 250 MB) · during the corpus ingest ${mb(ingestPeak)}`
);
await stop(server.child);

// 4. Uploads while the clients ask.
const uploads = Number(values.uploads);
if (uploads > 0) {
  const files = Array.from({ length: uploads }, (_, i) =>
    values["upload-file"]
      ? {
          name: `upload-${i + 1}.pdf`,
          bytes: new Uint8Array(readFileSync(values["upload-file"])),
        }
      : {
          name: `generated-${i + 1}.pdf`,
          bytes: generatedPdf(
            i,
            Number(values["upload-pages"]),
            Number(values["upload-mb"])
          ),
        }
  );
  const uploadDir = mkdtempSync(join(tmpdir(), "rb-upload-"));
  server = startServer(uploadDir);
  await server.ready;
  const uploadPid = server.child.pid as number;
  const atReady = procStatus(uploadPid, "VmRSS");
  let peak = atReady;
  const rss = setInterval(
    () => (peak = Math.max(peak, procStatus(uploadPid, "VmRSS"))),
    50
  );
  let ingesting = true;
  const prober = spawn(
    process.execPath,
    [join(APP, "bench", "health-prober.mjs"), `${url}/api/health`, "100"],
    { stdio: ["ignore", "pipe", "inherit"] }
  );
  let proberOutput = "";
  prober.stdout?.on(
    "data",
    (chunk: Buffer) => (proberOutput += chunk.toString())
  );
  const proberExit = new Promise((r) => prober.once("exit", r));
  let askErrors = 0;
  let asked = 0;
  const askers = Array.from({ length: clients }, async (_, c) => {
    let i = c;
    while (ingesting) {
      try {
        const response = await fetch(`${url}/api/ask`, {
          method: "POST",
          body: JSON.stringify({ question: questions[i++ % questions.length] }),
          headers: { "content-type": "application/json" },
        });
        const body = await response.text();
        if (
          response.status !== 200 ||
          body.includes("event: error") ||
          !body.includes("event: done")
        )
          askErrors++;
        else asked++;
      } catch {
        askErrors++;
      }
    }
  });
  const t0 = performance.now();
  let uploadErrors = 0;
  const pages = { done: 0 };
  await Promise.all(
    files.map(async (file) => {
      const form = new FormData();
      form.append(
        "file",
        new File([file.bytes as Uint8Array<ArrayBuffer>], file.name)
      );
      const response = await fetch(`${url}/api/documents`, {
        method: "POST",
        body: form,
      });
      if (response.status !== 202) {
        uploadErrors++;
        console.log(
          `  upload of ${file.name}: ${response.status} ${(
            await response.text()
          ).slice(0, 200)}`
        );
        return;
      }
      const { job } = (await response.json()) as { job: string };
      const events = await (await fetch(`${url}/api/jobs/${job}`)).text();
      const done = /event: done\ndata: (.*)/.exec(events);
      if (!done) {
        uploadErrors++;
        console.log(`  ingest of ${file.name} failed: ${events.slice(-300)}`);
      } else
        pages.done += (
          JSON.parse(done[1] as string) as { report: { pages: number } }
        ).report.pages;
    })
  );
  const ingestSeconds = (performance.now() - t0) / 1000;
  ingesting = false;
  prober.kill("SIGTERM");
  await Promise.all([proberExit, ...askers]);
  const { latencies: health, errors: healthErrors } = JSON.parse(
    proberOutput
  ) as { latencies: number[]; errors: number };
  clearInterval(rss);
  const total = files.reduce((sum, f) => sum + f.bytes.length, 0);
  console.log(
    `Uploads under load: ${uploads} × ${(total / uploads / 1024 / 1024).toFixed(
      1
    )} MB PDFs posted at once (${
      pages.done
    } pages ingested) while ${clients} clients ask, server node options "${NODE_OPTIONS}"`
  );
  console.log(
    `  all ingested in ${ingestSeconds.toFixed(
      1
    )} s · upload/ingest errors ${uploadErrors} · answers meanwhile ${asked}, errors ${askErrors} (goal 0)`
  );
  console.log(
    `  /api/health every 100 ms (separate process): ${
      health.length
    } polls · p50 ${Math.round(percentile(health, 50))} ms · p99 ${Math.round(
      percentile(health, 99)
    )} ms · max ${Math.round(
      Math.max(...health)
    )} ms · errors ${healthErrors} (goal p99 ≤ 100 ms)`
  );
  console.log(
    `  server RSS: at ready ${mb(atReady)} · peak ${mb(
      peak
    )} (sampled) · high-water mark ${mb(
      procStatus(uploadPid, "VmHWM")
    )} (goal ≤ 300 MB)`
  );
  await stop(server.child);
}
await hf.close();
console.log(`data folder (reuse with --data-dir): ${dataDir}`);

/**
 * A text PDF of `pages` pages (distinct sentences, so chunks differ) grown to `mb` MB by an
 * embedded stream of random bytes, appended as an incremental update (as a scanned image would
 * weigh, without adding text to extract).
 */
function generatedPdf(seed: number, pages: number, mb: number): Uint8Array {
  const words = [
    "register",
    "timer",
    "vector",
    "cache",
    "interrupt",
    "privilege",
    "memory",
    "encoding",
    "exception",
    "counter",
    "hart",
    "trap",
  ];
  const text = writeSimplePdf({
    title: `Generated manual ${seed + 1}`,
    pages: Array.from({ length: pages }, (_, p) => ({
      lines: [
        { text: `Chapter ${p + 1}`, size: 16 },
        ...Array.from(
          { length: 30 },
          (_, l) =>
            Array.from(
              { length: 14 },
              (_, w) =>
                words[(seed * 7 + p * 31 + l * 13 + w * 5) % words.length]
            ).join(" ") + ` ${seed}-${p}-${l}.`
        ),
      ],
    })),
  });
  const target = Math.round(mb * 1024 * 1024);
  if (text.length >= target) return text;
  const source = new TextDecoder("latin1").decode(
    text.subarray(Math.max(0, text.length - 2048))
  );
  const size = Number(/\/Size (\d+)/.exec(source)?.[1]);
  const root = /\/Root (\d+ \d+ R)/.exec(source)?.[1];
  const previous = Number(/startxref\s+(\d+)/.exec(source)?.[1]);
  const padding = new Uint8Array(Math.max(0, target - text.length - 400));
  let state = seed + 1;
  for (let i = 0; i < padding.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    padding[i] = state >>> 24;
  }
  const head = new TextEncoder().encode(
    `\n${size} 0 obj\n<< /Length ${padding.length} >>\nstream\n`
  );
  const objectOffset = text.length + 1;
  const tailStart = text.length + head.length + padding.length;
  const xrefOffset = tailStart + "\nendstream\nendobj\n".length;
  const tail = new TextEncoder().encode(
    `\nendstream\nendobj\nxref\n${size} 1\n${String(objectOffset).padStart(
      10,
      "0"
    )} 00000 n \ntrailer\n<< /Size ${
      size + 1
    } /Root ${root} /Prev ${previous} >>\nstartxref\n${xrefOffset}\n%%EOF\n`
  );
  const out = new Uint8Array(tailStart + tail.length);
  out.set(text, 0);
  out.set(head, text.length);
  out.set(padding, text.length + head.length);
  out.set(tail, tailStart);
  return out;
}
