import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeHf, writeSimplePdf, type FakeHfOptions, type FakeServer } from '@ragbridge/testkit';
import { vi } from 'vitest';

/** The tiny generated Transformers.js models of the adapter package (they load offline). */
export const TEST_MODELS_DIR = fileURLToPath(new URL('../../../adapter-transformersjs/test-models', import.meta.url));

/** A small two-page technical document, as a PDF written on the fly. */
export const RISCV_PAGES = [
  {
    lines: [
      { text: 'RV32I Base Integer Instruction Set', size: 16 },
      'RV32I has 32 general-purpose registers named x0 to x31, each 32 bits wide.',
      'Register x0 is hardwired to the constant zero, so writes to it are discarded.',
      'The program counter pc holds the address of the current instruction.',
    ],
  },
  {
    lines: [
      { text: 'Instruction Encoding', size: 16 },
      'The funct3 field selects the operation within the major opcode of a register-register instruction.',
      'The funct7 field further distinguishes operations such as ADD and SUB that share a funct3 value.',
      'Immediates are sign-extended from the instruction to the full register width.',
    ],
  },
];

/** A second document that says nothing about registers. */
export const VALIDATION_MARKDOWN = `# Software Validation

Software validation confirms that the software specifications conform to user needs and intended uses.
Validation activities are planned early and repeated whenever the software changes in ways that matter.
`;

/** A temporary folder with the generated documents; `cleanup()` removes it. */
export async function writeCorpus(): Promise<{ dir: string; pdf: string; markdown: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ragbridge-runtime-'));
  const pdf = join(dir, 'riscv-notes.pdf');
  const markdown = join(dir, 'validation.md');
  await writeFile(pdf, writeSimplePdf({ title: 'RISC-V notes', pages: RISCV_PAGES }));
  await writeFile(markdown, VALIDATION_MARKDOWN);
  return { dir, pdf, markdown, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A `fetch` that fails the test's expectations if anything calls it. */
export function forbiddenFetch(): typeof fetch & { calls: string[] } {
  const calls: string[] = [];
  const fn: typeof fetch = async (input) => {
    calls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    throw new TypeError('fetch failed: the network must not be used in this test');
  };
  return Object.assign(fn, { calls });
}

/** A logger that keeps what it was told. */
export function memoryLogger(): { warn(message: string): void; info(message: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn: ${m}`), info: (m) => lines.push(`info: ${m}`) };
}

/**
 * Like testkit's `fetchToFake`, but bound to the real `fetch` taken now, so the test can replace
 * the global one with {@link forbiddenFetch} and still reach the fake: requests for
 * `https://router.huggingface.co` and `https://huggingface.co` go to `fakeUrl`.
 */
export function fetchToFakeHf(fakeUrl: string, log?: string[]): typeof fetch {
  const realFetch = globalThis.fetch;
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    log?.push(url);
    return realFetch(url.replace(/^https:\/\/(router\.)?huggingface\.co/, fakeUrl), init);
  };
}

/** What {@link openFakeHf} sets up: a corpus, a fake Hugging Face service, and the fetch that reaches it. */
export interface FakeHfSetup {
  corpus: Awaited<ReturnType<typeof writeCorpus>>;
  hf: FakeServer;
  /** Sends Hugging Face requests to the fake through the real fetch, taken before it was stubbed. */
  toFake: typeof fetch;
}

/**
 * The hosted-profile tests' setup: a corpus and a fake HF service, with the global fetch replaced
 * by {@link forbiddenFetch} so anything not sent through `toFake` (the runtime's fetch) fails.
 */
export async function openFakeHf(options: FakeHfOptions): Promise<FakeHfSetup> {
  const corpus = await writeCorpus();
  const hf = await startFakeHf(options);
  const toFake = fetchToFakeHf(hf.url);
  vi.stubGlobal('fetch', forbiddenFetch());
  return { corpus, hf, toFake };
}

/** Undoes {@link openFakeHf}. */
export async function closeFakeHf(setup: FakeHfSetup): Promise<void> {
  vi.unstubAllGlobals();
  await setup.hf.close();
  await setup.corpus.cleanup();
}
