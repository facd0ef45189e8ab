import type { ProfileName } from './built-in-profiles.js';

/** Options of {@link detectProfile}. */
export interface DetectProfileOptions {
  /** Environment to read. @default process.env (read at call time) */
  env?: Readonly<Record<string, string | undefined>>;
  /** `fetch` for the Ollama probe (tests point it at a fake). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Ollama address to probe. @default OLLAMA_HOST, else http://127.0.0.1:11434 */
  ollamaHost?: string;
  /** How long the Ollama probe may take, in ms. @default 300 */
  probeTimeoutMs?: number;
}

/** One step of detection and what it found. */
export interface DetectionCheck {
  check: 'space' | 'hf-token' | 'ollama';
  /** `matched` decided the profile; `no` looked and found nothing; `skipped` was not needed. */
  result: 'matched' | 'no' | 'skipped';
  /** What was looked at, without secret values. */
  detail: string;
}

/** Which profile the environment calls for, and why. */
export interface ProfileDetection {
  profile: ProfileName;
  /** One sentence, e.g. `SPACE_ID is set (org/space): running on a Hugging Face Space`. */
  reason: string;
  checks: DetectionCheck[];
}

/** Where Ollama answers: `OLLAMA_HOST` written as `host`, `host:port`, `:port` or a URL, with 11434 as the default port. */
export function ollamaBaseUrl(host: string | undefined): string {
  let value = (host ?? '').trim();
  if (value === '') return 'http://127.0.0.1:11434';
  if (!/^https?:\/\//i.test(value)) value = `http://${value.startsWith(':') ? `127.0.0.1${value}` : value}`;
  try {
    const url = new URL(value);
    if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
    if (url.port === '') url.port = url.protocol === 'https:' ? '443' : '11434';
    url.username = '';
    url.password = '';
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return 'http://127.0.0.1:11434';
  }
}

function present(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Picks a built-in profile from the environment, first match wins:
 * 1. `SPACE_ID` or `SPACE_HOST` set → `hf-spaces` (running on a Hugging Face Space);
 * 2. `HF_TOKEN` set → `hybrid` (hosted answers, local fallback);
 * 3. Ollama answers `GET /api/version` within `probeTimeoutMs` → `local`;
 * 4. otherwise → `offline`.
 * The probe runs only when 1 and 2 did not match, and gives up after 300 ms by default.
 */
export async function detectProfile(options: DetectProfileOptions = {}): Promise<ProfileDetection> {
  const env = options.env ?? process.env;
  const checks: DetectionCheck[] = [];
  const skip = (...names: DetectionCheck['check'][]): void => {
    for (const check of names) checks.push({ check, result: 'skipped', detail: 'not needed' });
  };

  const spaceId = present(env, 'SPACE_ID');
  const spaceHost = present(env, 'SPACE_HOST');
  if (spaceId || spaceHost) {
    const detail = spaceId ? `SPACE_ID is set (${spaceId})` : `SPACE_HOST is set (${spaceHost})`;
    checks.push({ check: 'space', result: 'matched', detail });
    skip('hf-token', 'ollama');
    return { profile: 'hf-spaces', reason: `${detail}: running on a Hugging Face Space`, checks };
  }
  checks.push({ check: 'space', result: 'no', detail: 'neither SPACE_ID nor SPACE_HOST is set' });

  if (present(env, 'HF_TOKEN')) {
    checks.push({ check: 'hf-token', result: 'matched', detail: 'HF_TOKEN is set' });
    skip('ollama');
    return { profile: 'hybrid', reason: 'HF_TOKEN is set: hosted answers, with local models behind them', checks };
  }
  checks.push({ check: 'hf-token', result: 'no', detail: 'HF_TOKEN is not set' });

  const base = ollamaBaseUrl(options.ollamaHost ?? env.OLLAMA_HOST);
  const timeoutMs = options.probeTimeoutMs ?? 300;
  const probe = await probeOllama(base, options.fetch ?? globalThis.fetch, timeoutMs);
  if (probe.ok) {
    checks.push({ check: 'ollama', result: 'matched', detail: probe.detail });
    return { profile: 'local', reason: `${probe.detail}: local models`, checks };
  }
  checks.push({ check: 'ollama', result: 'no', detail: probe.detail });
  return {
    profile: 'offline',
    reason: 'not on a Space, no HF_TOKEN, and no Ollama reachable: keyword retrieval and extractive answers, with cached Transformers.js models if any',
    checks,
  };
}

async function probeOllama(base: string, fetchImpl: typeof globalThis.fetch, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const started = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  // Also race the signal, so a fetch that ignores it cannot hold detection up.
  const deadline = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  deadline.catch(() => undefined);
  try {
    // The timeout also bounds reading the body: a server that sends headers and stalls is not "up".
    const response = await Promise.race([fetchImpl(`${base}/api/version`, { signal }), deadline]);
    const body = await Promise.race([response.text(), deadline]);
    if (!response.ok) return { ok: false, detail: `Ollama at ${base} answered HTTP ${response.status}` };
    let version: unknown;
    try {
      version = (JSON.parse(body) as { version?: unknown }).version;
    } catch {
      version = undefined;
    }
    if (typeof version !== 'string') return { ok: false, detail: `${base}/api/version did not answer like Ollama` };
    return { ok: true, detail: `Ollama ${version} answered at ${base} in ${Date.now() - started} ms` };
  } catch (error) {
    const timedOut = signal.aborted;
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    return {
      ok: false,
      detail: timedOut ? `no answer from Ollama at ${base} within ${timeoutMs} ms` : `Ollama not reachable at ${base}${typeof code === 'string' ? ` (${code})` : ''}`,
    };
  }
}

/** The storage the environment calls for when the configuration does not set `storage`. */
export interface StorageDetection {
  /** PostgreSQL at DATABASE_URL; absent: the profile's SQLite file. */
  storage?: { kind: 'postgres'; url: string };
  /** What was found, without the URL (it may hold a password), e.g. `DATABASE_URL is set to a PostgreSQL URL`. */
  detail: string;
}

/** Whether `url` is a PostgreSQL connection URL (the scheme libpq and `pg` read). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\/\S+$/i.test(url);
}

/**
 * Picks the storage from the environment: PostgreSQL when `DATABASE_URL` holds a `postgres://` or
 * `postgresql://` URL (as platforms with a managed database set it), else none (the profile's
 * SQLite file). Only used when no configuration layer sets `storage`; the profile is not affected.
 */
export function detectStorage(env: Readonly<Record<string, string | undefined>> = process.env): StorageDetection {
  const url = present(env, 'DATABASE_URL');
  if (url === undefined) return { detail: 'DATABASE_URL is not set' };
  if (!isPostgresUrl(url)) {
    const scheme = /^([a-z][a-z\d+.-]*):/i.exec(url)?.[1];
    return { detail: `DATABASE_URL is set but is not a PostgreSQL URL (${scheme ? `${scheme}://…` : 'no scheme'}): storage stays SQLite` };
  }
  return { storage: { kind: 'postgres', url }, detail: 'DATABASE_URL is set to a PostgreSQL URL' };
}
