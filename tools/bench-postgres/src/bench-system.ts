import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

let tick: number | undefined;

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux almost everywhere). */
export function clockTick(): number {
  if (tick === undefined) {
    try {
      tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tick = 100;
    }
  }
  return tick;
}

/** `2 × Intel(R) Xeon(R) …, 23 GB, node v20.20.2`. */
export function machineLine(): string {
  const cores = cpus();
  return `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, node ${process.version}`;
}

/** The 1-minute load average, two decimals. */
export function loadAverage(): string {
  return (loadavg()[0] ?? 0).toFixed(2);
}

/**
 * CPU seconds of the whole machine (every core) from /proc/stat: busy in this machine's processes
 * and kernel, and stolen (a virtual machine's cores running other guests: the time is gone, as if
 * other processes had it, but no process here shows it).
 */
export function machineCpuSeconds(): { busy: number; stolen: number } {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal …
  const [user, nice, system, , , irq, softirq, steal] = first.trim().split(/\s+/).slice(1).map(Number);
  return { busy: ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)) / clockTick(), stolen: (steal ?? 0) / clockTick() };
}

/** CPU seconds (user + system) a process has used, from /proc; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTick();
  } catch {
    return 0;
  }
}

/** The ids of every process whose command is `postgres` (the server and its backends). */
export function postgresPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** CPU used during a window: by this process, by PostgreSQL, and by everything else on the machine. */
export interface CpuWindow {
  seconds: number;
  selfCores: number;
  postgresCores: number;
  /** Cores the rest of the machine kept busy (other processes: other people's tests, builds, …). */
  otherCores: number;
  /** Cores' worth of time the host gave to other virtual machines (steal): capacity this machine did not have. */
  stolenCores: number;
}

/**
 * CPU seconds of PostgreSQL's processes over a window. Backends come and go (a pool closes, a new
 * one connects), so every process is sampled every 250 ms and its growth summed: one that starts
 * during the window counts from 0, one that exits loses at most its last 250 ms.
 */
function samplePostgres(): { stop(): number } {
  const atStart = new Set(postgresPids());
  const seen = new Map<number, { first: number; last: number }>();
  const sample = (): void => {
    for (const pid of postgresPids()) {
      const cpu = processCpuSeconds(pid);
      const known = seen.get(pid);
      if (known) known.last = Math.max(known.last, cpu);
      else seen.set(pid, { first: atStart.has(pid) ? cpu : 0, last: cpu });
    }
  };
  sample();
  const timer = setInterval(sample, 250);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      let total = 0;
      for (const { first, last } of seen.values()) total += last - first;
      return total;
    },
  };
}

/** Starts measuring; the returned function ends the window. `extraPids` are counted as ours too (e.g. servers under test). */
export function startCpuWindow(extraPids: readonly number[] = []): () => CpuWindow & { extraCpuSeconds: number[] } {
  const started = performance.now();
  const self = process.cpuUsage();
  const machine = machineCpuSeconds();
  const postgres = samplePostgres();
  const extra = extraPids.map(processCpuSeconds);
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(self);
    const selfSeconds = (used.user + used.system) / 1e6;
    const postgresSeconds = postgres.stop();
    const extraCpuSeconds = extraPids.map((pid, i) => processCpuSeconds(pid) - (extra[i] as number));
    const ours = selfSeconds + postgresSeconds + extraCpuSeconds.reduce((a, b) => a + b, 0);
    const now = machineCpuSeconds();
    return {
      seconds,
      selfCores: selfSeconds / seconds,
      postgresCores: postgresSeconds / seconds,
      otherCores: Math.max(0, now.busy - machine.busy - ours) / seconds,
      stolenCores: Math.max(0, now.stolen - machine.stolen) / seconds,
      extraCpuSeconds,
    };
  };
}
