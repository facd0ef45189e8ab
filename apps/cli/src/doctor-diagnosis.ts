import {
  AuthenticationError,
  BackendUnreachableError,
  RagbridgeError,
  redactSecrets,
  RequestTimeoutError,
} from '@ragbridge/core-interfaces';
import { ADAPTER_PACKAGE_OF } from '@ragbridge/runtime';
import type { ModelStepConfig, ProbeOutcome } from './doctor-probes.js';

/** What is wrong with a step, and what to do about it. */
export interface Diagnosis {
  /** `not-installed`: its adapter package is missing; `not-on-disk`: its model, with downloads off; `failed`: the call failed. */
  kind: 'not-installed' | 'not-on-disk' | 'failed';
  problem: string;
  fix?: string;
}

/** What a diagnosis may look up: the environment the step ran with, and its `fetch`. */
export interface DiagnosisContext {
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch | undefined;
}

type Failed = Extract<ProbeOutcome, { status: 'failed' }>;
type Unavailable = Extract<ProbeOutcome, { status: 'unavailable' }>;

/** Why a step cannot run here: its adapter package is missing, or its model is not on disk while downloads are off. */
export function diagnoseUnavailable(step: ModelStepConfig, outcome: Unavailable): Diagnosis {
  const name = ADAPTER_PACKAGE_OF[step.backend];
  // The runtime's reason for a missing package names the command that installs it.
  if (outcome.reason.includes(`npm install ${name}`))
    return { kind: 'not-installed', problem: `${name} is not installed`, fix: `npm install ${name}` };
  return {
    kind: 'not-on-disk',
    problem: outcome.reason,
    fix:
      'download it once where downloads are allowed (HF_HUB_OFFLINE unset, a profile without offline: true, e.g. --profile local), ' +
      "or point the step's options.localModelPath or cacheDir at a folder that holds it",
  };
}

/** The first sentence of an error's message, and its advice (the rest), redacted. */
function splitMessage(error: unknown): Diagnosis {
  const message = redactSecrets(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const cut = message.search(/[.!?](\s|$)/);
  if (cut < 0 || cut === message.length - 1) return { kind: 'failed', problem: message.replace(/\.$/, '') };
  const fix = message.slice(cut + 1).trim();
  return { kind: 'failed', problem: message.slice(0, cut), ...(fix && { fix }) };
}

/** Where an Ollama step connects, as the runtime decides it (the step's endpoint, OLLAMA_HOST, the default port). */
const ollamaHost = (step: ModelStepConfig, env: DiagnosisContext['env']): string =>
  ('endpoint' in step && step.endpoint) || env.OLLAMA_HOST || 'http://127.0.0.1:11434';

/** Ollama's own health check tells "not running" from "model not pulled", each with its command. */
async function diagnoseOllama(step: ModelStepConfig, ctx: DiagnosisContext): Promise<Diagnosis | undefined> {
  const { checkOllamaHealth } = await import('@ragbridge/adapter-ollama');
  const health = await checkOllamaHealth({
    host: ollamaHost(step, ctx.env),
    models: [step.model],
    timeoutMs: 3_000,
    ...(ctx.fetch && { fetch: ctx.fetch }),
  });
  const [problem] = health.problems;
  if (problem === undefined) return undefined;
  const [what, todo] = problem.split(' — ');
  return { kind: 'failed', problem: what as string, ...(todo && { fix: todo }) };
}

/** A Hugging Face token that is missing, or that the server refused. */
function diagnoseHfAuth(step: ModelStepConfig, error: AuthenticationError): Diagnosis {
  if (step.backend === 'hf-tei') {
    return {
      kind: 'failed',
      problem: `the TEI server at ${error.endpoint ?? step.endpoint} refused the request (HTTP ${
        error.statusCode ?? 401
      })`,
      fix: "set the step's apiKey to the key the server was started with (--api-key)",
    };
  }
  const tokens = 'https://huggingface.co/settings/tokens, with the "Make calls to Inference Providers" permission';
  if (error.statusCode === undefined) {
    const given = 'token' in step && step.token !== undefined;
    return {
      kind: 'failed',
      problem: given ? "the step's token is empty" : 'HF_TOKEN is not set',
      fix: `set HF_TOKEN to a token from ${tokens}`,
    };
  }
  return {
    kind: 'failed',
    problem: `Hugging Face refused the token (HTTP ${error.statusCode})`,
    fix: `set HF_TOKEN to a valid token from ${tokens} (a gated model also needs access granted on its page)`,
  };
}

/** A server that cannot be reached, or did not answer in time. */
function diagnoseUnreachable(step: ModelStepConfig, error: RagbridgeError): Diagnosis {
  const timedOut = RequestTimeoutError.isInstance(error);
  if (step.backend === 'hf-tei') {
    return {
      kind: 'failed',
      problem: `TEI ${timedOut ? 'did not answer in time' : 'is not reachable'} at ${step.endpoint}`,
      fix: "start the Text Embeddings Inference server there, or correct the step's endpoint",
    };
  }
  if (step.backend === 'hf-inference') {
    return {
      kind: 'failed',
      problem: `Hugging Face ${timedOut ? 'did not answer in time' : 'is not reachable'}${
        error.endpoint ? ` at ${error.endpoint}` : ''
      }`,
      fix: 'check the network connection (and HTTPS_PROXY behind a proxy)',
    };
  }
  return splitMessage(error);
}

/** What is wrong with a step whose call failed, and what to do about it; never names a secret. */
export async function diagnoseFailure(
  step: ModelStepConfig,
  outcome: Failed,
  ctx: DiagnosisContext,
): Promise<Diagnosis> {
  const { error } = outcome;
  if (step.backend === 'ollama') {
    const found = await diagnoseOllama(step, ctx);
    if (found) return found;
  }
  if (AuthenticationError.isInstance(error)) return diagnoseHfAuth(step, error);
  if (BackendUnreachableError.isInstance(error) || RequestTimeoutError.isInstance(error))
    return diagnoseUnreachable(step, error);
  return splitMessage(error);
}
