import { explain, type ConfigExplanation, type RagbridgeConfig } from '@ragbridge/config-profiles';
import { redactSecrets } from '@ragbridge/core-interfaces';
import { TERMINAL_BACKENDS, type RuntimePart } from '@ragbridge/runtime';
import { resolveCliConfig } from './commands.js';
import { checkDatabase, formatDatabase } from './doctor-database.js';
import { diagnoseFailure, diagnoseUnavailable, type Diagnosis } from './doctor-diagnosis.js';
import { modelSteps, probeStep, type ProbeContext, type ProbeOutcome, type StepPlace } from './doctor-probes.js';

/** Options of {@link doctorCommand}. */
export interface DoctorCommandOptions {
  /** A built-in profile; default: resolved as every command resolves it. */
  profile?: string;
  /** Environment (secrets, OLLAMA_HOST, profile detection). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** `fetch` for the HTTP adapters and Ollama's health check (tests point it at the fake services). */
  fetch?: typeof fetch;
  /** Where `ragbridge.yaml` is looked for and relative model paths start. @default process.cwd() */
  cwd?: string;
  /** The report. @default process.stdout */
  out?: NodeJS.WritableStream;
  /** Which step is being called, on a terminal. @default process.stderr */
  err?: NodeJS.WritableStream;
}

/** A probed model step and what is wrong with it, if anything. */
interface StepResult {
  place: StepPlace;
  outcome: ProbeOutcome;
  diagnosis?: Diagnosis;
}

/** The step every chain ends in, which always works, and what a part comes to when only it is left. */
const LAST_STEP: Record<RuntimePart, { name: string; works: string; fallback: string }> = {
  answer: {
    name: TERMINAL_BACKENDS.answer,
    works: 'always answers, with sentences quoted from the documents',
    fallback: 'answers are extractive (sentences quoted from the documents)',
  },
  embedder: {
    name: TERMINAL_BACKENDS.embedder,
    works: 'always works (BM25 keyword retrieval)',
    fallback: 'retrieval is keyword-only (BM25)',
  },
  reranker: {
    name: TERMINAL_BACKENDS.reranker,
    works: 'always works (hits keep their fused keyword/dense order)',
    fallback: 'hits keep their fused keyword/dense order',
  },
};

const PARTS: readonly RuntimePart[] = ['answer', 'embedder', 'reranker'];

/**
 * `ragbridge doctor [--profile NAME]`: which profile commands run and why (secrets redacted), where
 * documents live (with PostgreSQL storage: the database answers, pgvector is installed, the versions
 * of ragbridge's tables; exit 1 when it does not work), then
 * one small real call through every model step of its chains, each saying ok (with its latency)
 * or what is wrong and what to do. Exit 0 when every step works (a Transformers.js model not on
 * disk is allowed with `offline: true`), 1 when one does not: ragbridge still answers then, with
 * the part's next step or the step every chain ends in.
 */
export async function doctorCommand(options: DoctorCommandOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const resolved = await resolveCliConfig({ profile: options.profile, env, cwd });
  const explanation = explain(resolved, { env });
  // Every line passes the redactor: explain() registered the secrets of the configuration and environment.
  const write = (text: string): boolean => (options.out ?? process.stdout).write(redactSecrets(text));
  write(`${profileSection(explanation, options.profile !== undefined)}\n\n`);
  const { storage } = resolved.config;
  const database = storage.kind === 'postgres' ? await checkDatabase(storage) : undefined;
  if (database) write(`${formatDatabase(database)}\n\n`);

  const ctx: ProbeContext = { resolved, env, fetch: options.fetch, baseDir: cwd };
  const results: StepResult[] = [];
  const progress = stepProgress(options.err ?? process.stderr);
  for (const place of modelSteps(resolved.config)) {
    progress(describeStep(explanation.config, place));
    const outcome = await probeStep(ctx, place);
    results.push({ place, outcome, ...(await diagnosisOf(place, outcome, ctx)) });
  }
  progress(undefined);
  write(
    `Model steps, each called once (a one-token answer, one short text embedded, one pair scored):\n${stepsSection(
      explanation.config,
      results,
    )}\n\n`,
  );
  const verdict = verdictOf(results, resolved.config);
  if (database && !database.ok) write('The database does not work: every command that reads or writes documents fails until it does (see above).\n');
  write(`${verdict.text}\n`);
  return database && !database.ok ? 1 : verdict.code;
}

async function diagnosisOf(
  place: StepPlace,
  outcome: ProbeOutcome,
  ctx: ProbeContext,
): Promise<{ diagnosis?: Diagnosis }> {
  if (outcome.status === 'ok') return {};
  if (outcome.status === 'unavailable') return { diagnosis: diagnoseUnavailable(place.step, outcome) };
  return { diagnosis: await diagnoseFailure(place.step, outcome, ctx) };
}

/** What `explain()` says about the profile (without the whole configuration); `--profile` named as such. */
function profileSection(explanation: ConfigExplanation, byOption: boolean): string {
  const text = explanation.text.split('\nConfiguration:')[0] ?? explanation.text;
  return byOption ? text.replace(/^Why: set by the profile option$/m, 'Why: set by --profile') : text;
}

/** A step as configured, from the redacted configuration: backend, model, and its endpoint when it has one. */
function describeStep(config: RagbridgeConfig, place: StepPlace): string {
  const step = config.models[place.part].chain[place.index] as { backend: string; model?: string; endpoint?: string };
  return `${step.backend} ${step.model ?? ''}${step.endpoint ? ` at ${step.endpoint}` : ''}`.replace(/ +/g, ' ').trim();
}

/** Which step is being called: one line rewritten in place on a terminal, nothing in a pipe. */
function stepProgress(stream: NodeJS.WritableStream): (step: string | undefined) => void {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  return (step) => {
    if (tty) stream.write(step === undefined ? '\r\x1b[2K' : `\r\x1b[2Kcalling ${step}…`);
  };
}

/** A step not on disk with `offline: true` is expected: the offline profile uses cached models only if there are any. */
const tolerated = (result: StepResult, config: RagbridgeConfig): boolean =>
  result.diagnosis?.kind === 'not-on-disk' && config.offline;

function stepLine(config: RagbridgeConfig, result: StepResult, position: number): string[] {
  const name = `${position}. ${describeStep(config, result.place)}`;
  const { outcome, diagnosis } = result;
  if (outcome.status === 'ok') return [`  ✓ ${name} — ok (${Math.round(outcome.ms)} ms)`];
  const mark = tolerated(result, config) ? '!' : '✗';
  return [
    `  ${mark} ${name} — ${diagnosis?.problem ?? 'failed'}`,
    ...(diagnosis?.fix ? [`       fix: ${diagnosis.fix}`] : []),
  ];
}

/** Each part: its model steps with their results, then the step it ends in. */
function stepsSection(config: RagbridgeConfig, results: readonly StepResult[]): string {
  const lines: string[] = [];
  for (const part of PARTS) {
    const own = results.filter((r) => r.place.part === part);
    lines.push(part);
    own.forEach((result, i) => lines.push(...stepLine(config, result, i + 1)));
    lines.push(`  · ${own.length + 1}. ${LAST_STEP[part].name} — ${LAST_STEP[part].works}`);
  }
  return lines.join('\n');
}

/** What a part with a step that does not work comes to: its first working step, else its last step. */
function fallbackOf(config: RagbridgeConfig, part: RuntimePart, results: readonly StepResult[]): string | undefined {
  const own = results.filter((r) => r.place.part === part);
  if (own.every((r) => r.outcome.status === 'ok')) return undefined;
  const working = own.find((r) => r.outcome.status === 'ok');
  return working ? `the ${part} uses ${describeStep(config, working.place)}` : LAST_STEP[part].fallback;
}

/** The last line and the exit code. */
function verdictOf(results: readonly StepResult[], config: RagbridgeConfig): { text: string; code: number } {
  if (results.length === 0)
    return { text: 'No model steps to check: keyword retrieval and extractive answers, which always work.', code: 0 };
  const broken = results.filter((r) => r.outcome.status !== 'ok' && !tolerated(r, config));
  const fallbacks = PARTS.map((part) => fallbackOf(config, part, results)).filter((f): f is string => f !== undefined);
  if (broken.length > 0) {
    return {
      text: `${broken.length} of ${results.length} model step(s) do not work. ragbridge still answers: ${fallbacks.join(
        '; ',
      )}.`,
      code: 1,
    };
  }
  if (fallbacks.length > 0) {
    const missing = results.length - results.filter((r) => r.outcome.status === 'ok').length;
    return {
      text: `Every model step that can run here works; ${missing} model(s) are not on disk, which offline: true allows (cached models only). Until they are: ${fallbacks.join(
        '; ',
      )}.`,
      code: 0,
    };
  }
  return { text: 'Every model step works.', code: 0 };
}
