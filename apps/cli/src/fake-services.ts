import type * as Testkit from '@ragbridge/testkit';
import { UsageError } from './commands.js';

const FAKE_TOKEN = 'hf_ragbridgeCompareFakeToken_00000000';

/** The fake services and what points a profile at them. */
export interface FakeServices {
  /** The environment with the fakes' token and hosts (and no RAGBRIDGE_PROFILE). */
  env: Record<string, string | undefined>;
  /** Sends Hugging Face requests to the fake. */
  fetch: typeof fetch;
  close(): Promise<void>;
}

/**
 * `--fake-services`: starts the repository's fake Hugging Face, TEI and Ollama services and the
 * environment that points every profile at them (CI and demos, no accounts).
 */
export async function startFakeServices(): Promise<FakeServices> {
  // The fake services are the repository's test kit, not published: a dev dependency of the CLI.
  let testkit: typeof Testkit;
  try {
    testkit = (await import('@ragbridge/testkit')) as typeof Testkit;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new UsageError('--fake-services runs from a checkout of the ragbridge repository (the fake services are its private test kit); from npm, use real profiles');
  }
  const { fetchToFake, startFakeServices: startAll } = testkit;
  const services = await startAll({ hfToken: FAKE_TOKEN });
  return {
    env: { ...process.env, HF_TOKEN: FAKE_TOKEN, OLLAMA_HOST: services.ollama.url, HF_HUB_OFFLINE: '1', RAGBRIDGE_PROFILE: undefined },
    fetch: fetchToFake(services.hf.url),
    close: () => services.close(),
  };
}

/** Runs `run` with the fake services when `enabled` (closed afterwards), else without. */
export async function withFakeServices<T>(enabled: boolean | undefined, run: (fakes: FakeServices | undefined) => Promise<T>): Promise<T> {
  const fakes = enabled ? await startFakeServices() : undefined;
  try {
    return await run(fakes);
  } finally {
    await fakes?.close();
  }
}
