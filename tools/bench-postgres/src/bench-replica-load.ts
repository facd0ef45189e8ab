import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadEndpoint } from './bench-load.js';
import { startReplica, writeReplicaConfig, type Replica } from './bench-replicas.js';
import { loadAverage, startCpuWindow } from './bench-system.js';

/** One load setup's numbers. */
export interface SetupResult {
  label: string;
  throughput: number;
  latencies: number[];
  errors: number;
  errorSamples: string[];
  /** Requests sent again after their kept-alive socket closed under them (see `runLoad`). */
  resent: number;
  seconds: number;
  loadAverage: string;
  /** Cores kept busy during the run (CPU seconds per second) by each replica under load, PostgreSQL and this process. */
  replicaCores: number[];
  postgresCores: number;
  loadGeneratorCores: number;
  /** All of the above. */
  totalCores: number;
  /** Cores other processes on the machine kept busy meanwhile (the machine's busy time less the above). */
  otherCores: number;
  /** Cores' worth of time the host gave to other virtual machines meanwhile. */
  stolenCores: number;
}

/** Both setups against one endpoint. */
export interface EndpointRun {
  endpoint: LoadEndpoint;
  one: SetupResult;
  two: SetupResult;
}

/** Every endpoint's run. */
export interface ReplicaRun {
  runs: EndpointRun[];
  cores: number;
}

/** Options of {@link measureReplicas}. */
export interface ReplicaLoadOptions {
  root: string;
  databaseUrl: string;
  schema: string;
  clients: number;
  seconds: number;
  questions: readonly string[];
  endpoints: readonly LoadEndpoint[];
  log: (line: string) => void;
}

/** Seconds of load on each replica before measuring (code paths compiled, pools and caches filled). */
const WARM_UP_SECONDS = 5;

async function measureSetup(label: string, replicas: readonly Replica[], endpoint: LoadEndpoint, options: ReplicaLoadOptions): Promise<SetupResult> {
  const window = startCpuWindow(replicas.map((r) => r.pid));
  const load = await runLoad({ urls: replicas.map((r) => r.url), clients: options.clients, seconds: options.seconds, questions: options.questions, endpoint });
  const cpu = window();
  const replicaCpuSeconds = cpu.extraCpuSeconds;
  return {
    label,
    throughput: load.answered / load.seconds,
    latencies: load.latencies,
    errors: load.errors,
    errorSamples: load.errorSamples,
    resent: load.resent,
    seconds: load.seconds,
    loadAverage: loadAverage(),
    replicaCores: replicaCpuSeconds.map((c) => c / cpu.seconds),
    postgresCores: cpu.postgresCores,
    loadGeneratorCores: cpu.selfCores,
    totalCores: cpu.selfCores + cpu.postgresCores + replicaCpuSeconds.reduce((a, b) => a + b, 0) / cpu.seconds,
    otherCores: cpu.otherCores,
    stolenCores: cpu.stolenCores,
  };
}

/**
 * Starts two demo replicas on the schema (one data folder each); per endpoint, warms each up, then
 * drives `clients` concurrent clients for `seconds` against one replica, then round-robin against both.
 */
export async function measureReplicas(options: ReplicaLoadOptions): Promise<ReplicaRun> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-bench-replicas-'));
  const configPath = writeReplicaConfig(dir, options.schema);
  options.log(`configuration ${configPath}: offline profile, extractive answers only, no embedder or reranker, no answer or embedding cache`);
  const basePort = 18_000 + Math.floor(Math.random() * 2000);
  const replicas: Replica[] = [];
  try {
    for (const [i, name] of ['a', 'b'].entries()) {
      const replica = await startReplica({ root: options.root, port: basePort + i, configPath, dataDir: join(dir, `data-${name}`), databaseUrl: options.databaseUrl });
      replicas.push(replica);
      options.log(`replica ${name}: ${replica.url}, pid ${replica.pid}, ready in ${(replica.readyMs / 1000).toFixed(1)} s; storage ${replica.storageLine}`);
    }
    const runs: EndpointRun[] = [];
    for (const endpoint of options.endpoints) {
      for (const replica of replicas) await runLoad({ urls: [replica.url], clients: options.clients, seconds: WARM_UP_SECONDS, questions: options.questions, endpoint });
      const one = await measureSetup('one replica', replicas.slice(0, 1), endpoint, options);
      const two = await measureSetup('two replicas', replicas, endpoint, options);
      runs.push({ endpoint, one, two });
    }
    return { runs, cores: cpus().length };
  } finally {
    for (const replica of replicas) await replica.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
