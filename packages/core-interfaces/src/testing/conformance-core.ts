import { RagbridgeError } from '../errors.js';
import { EXPECTED_FAULT_ERRORS, type ConformanceFaults, type FaultKind } from './conformance-faults.js';

/** A broken promise found by a conformance check. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

/** Throws {@link ConformanceFailure} with `message` unless `condition` holds. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

/** What a check needs from the harness; checks whose needs are unmet are skipped. */
export interface CheckRequirements {
  /** A fault the harness must be able to inject. */
  fault?: FaultKind;
  /** The backend repeats prompt content (fakes and mocks quote the numbered sources). */
  quotesContext?: boolean;
  /** The harness can say which texts the backend received. */
  receivedTexts?: boolean;
  /** The harness can open a second handle on the same store (`openSecond`). */
  secondHandle?: boolean;
}

/** One promise of a contract, runnable on its own (with or without vitest). */
export interface ConformanceCheck {
  /** Stable id, e.g. `stream-order` or `errors.rate-limit`. */
  id: string;
  description: string;
  requires?: CheckRequirements;
  run(): Promise<void>;
}

/** What every conformance suite takes. */
export interface ConformanceOptions<M> {
  /** Creates the implementation under test (called once per check). */
  create: () => M | Promise<M>;
  /** Fault injection into the backend; without it the error-mapping checks are skipped. */
  faults?: ConformanceFaults;
  /** The token the implementation uses; checks assert it never appears in errors. */
  secret?: string;
  /** The texts the backend received during the last call (for unicode and prefix checks). */
  receivedTexts?: () => string[] | Promise<string[]>;
  /** Per-check timeout in ms. @default 15000 */
  timeoutMs?: number;
}

/** Why a check cannot run with these options, or undefined when it can. */
export function unsupportedReason(
  check: ConformanceCheck,
  options: ConformanceOptions<unknown> & { quotesContext?: boolean; secondHandle?: boolean },
): string | undefined {
  const needs = check.requires;
  if (!needs) return undefined;
  if (needs.secondHandle && !options.secondHandle) return 'the harness cannot open a second handle on the same store (openSecond)';
  if (needs.fault && !options.faults?.supports.includes(needs.fault)) return `the harness cannot inject "${needs.fault}"`;
  if (needs.quotesContext && !options.quotesContext && !options.receivedTexts) {
    return 'the backend neither quotes its context nor reports the texts it received';
  }
  if (needs.receivedTexts && !options.receivedTexts) return 'the harness does not report received texts';
  return undefined;
}

/** Awaits `action` and returns what it threw; fails when it resolves. */
export async function captureRejection(action: () => Promise<unknown>, what: string): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new ConformanceFailure(`${what} resolved, but it should have failed`);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Asserts `error` is an abort (the signal's reason, named AbortError). */
export function ensureAbortError(error: unknown, what: string): void {
  ensure(
    typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError',
    `${what} should reject with an AbortError, got ${describeError(error)}`,
  );
}

/**
 * Asserts that `error` is the typed error `kind` must map to, names the backend and model,
 * and leaks no secret.
 */
export function ensureFaultError(
  error: unknown,
  kind: FaultKind,
  model: { backend: string; modelId: string },
  secret: string | undefined,
  what: string,
): void {
  const expected = EXPECTED_FAULT_ERRORS[kind];
  ensure(
    expected.errorClass.isInstance(error),
    `${what}: fault "${kind}" should surface as ${expected.errorClass.errorName}, got ${describeError(error)}`,
  );
  const typed = error as RagbridgeError;
  ensure(typed.name === expected.errorClass.errorName, `${what}: error name should be ${expected.errorClass.errorName}, got ${typed.name}`);
  ensure(typed.isRetryable === expected.retryable, `${what}: ${typed.name}.isRetryable should be ${expected.retryable}`);
  if (expected.retryAfterMs !== undefined) {
    ensure(
      typed.retryAfterMs === expected.retryAfterMs,
      `${what}: retryAfterMs should be ${expected.retryAfterMs}, got ${String(typed.retryAfterMs)}`,
    );
  }
  ensure(typed.message.includes(model.modelId), `${what}: the message should name the model "${model.modelId}": ${typed.message}`);
  ensure(typed.message.includes(model.backend), `${what}: the message should name the backend "${model.backend}": ${typed.message}`);
  if (secret) {
    const exposed = [typed.message, typed.responseBody ?? '', typed.endpoint ?? '', typed.stack ?? '', JSON.stringify(typed)];
    ensure(!exposed.some((text) => text.includes(secret)), `${what}: the error exposes the secret token`);
  }
  ensure(RagbridgeError.isInstance(error), `${what}: the error should be a RagbridgeError`);
}

/** An AbortSignal that aborts with a `TimeoutError` reason after `ms`, like `AbortSignal.timeout`. */
export function deadlineSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The deadline passed', 'TimeoutError')), ms);
  (timer as { unref?: () => void }).unref?.();
  return controller.signal;
}

/** An already-aborted signal. */
export function abortedSignal(): AbortSignal {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
}

/** Runs `check` with the fault injected, clearing it afterwards. */
export async function withFault(faults: ConformanceFaults | undefined, kind: FaultKind, body: () => Promise<void>): Promise<void> {
  if (!faults) throw new ConformanceFailure(`no fault harness for "${kind}"`);
  await faults.inject(kind);
  try {
    await body();
  } finally {
    await faults.clear();
  }
}

/** The unicode sample every suite sends: combining marks, CJK, emoji, RTL and a 4-byte character. */
export const UNICODE_SAMPLE = 'Übertragung naïve café — 日本語のテキスト 🚀 مرحبا 𝔘𝔫𝔦𝔠𝔬𝔡𝔢';

/** Cosine similarity of two vectors. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Makes every failure of a check a {@link ConformanceFailure}: an unexpected exception from the
 * implementation (where the contract promised success) is a broken promise too.
 */
export function asConformanceChecks(checks: ConformanceCheck[]): ConformanceCheck[] {
  return checks.map((check) => ({
    ...check,
    async run() {
      try {
        await check.run();
      } catch (error) {
        if (error instanceof ConformanceFailure) throw error;
        throw new ConformanceFailure(`${check.id}: unexpected ${describeError(error)}`, { cause: error });
      }
    },
  }));
}

/** Asserts the fields every contract shares: `specificationVersion` v1, a backend and a model id. */
export function ensureModelShape(model: { specificationVersion: unknown; backend: unknown; modelId: unknown }): void {
  ensure(model.specificationVersion === 'v1', `specificationVersion should be "v1", got ${String(model.specificationVersion)}`);
  ensure(typeof model.backend === 'string' && model.backend.length > 0, 'backend should be a non-empty string');
  ensure(typeof model.modelId === 'string' && model.modelId.length > 0, 'modelId should be a non-empty string');
}

/**
 * One `errors.<kind>` check per fault kind: with the fault injected, `call` must reject with the
 * kind's typed error. `hang` calls get a signal that aborts with a `TimeoutError` reason.
 */
export function faultChecks<M extends { backend: string; modelId: string }>(
  options: ConformanceOptions<M>,
  kinds: readonly FaultKind[],
  what: string,
  call: (model: M, signal: AbortSignal | undefined) => Promise<unknown>,
): ConformanceCheck[] {
  return kinds.map((kind) => ({
    id: `errors.${kind}`,
    description: `a "${kind}" failure surfaces as the right typed error`,
    requires: { fault: kind },
    async run() {
      const model = await options.create();
      await withFault(options.faults, kind, async () => {
        const signal = kind === 'hang' ? deadlineSignal(50) : undefined;
        const error = await captureRejection(() => call(model, signal), `${what} with fault "${kind}"`);
        ensureFaultError(error, kind, model, options.secret, what);
      });
    },
  }));
}
