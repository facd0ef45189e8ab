import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBuiltInProfile, resolveConfig, validateConfig, BUILT_IN_PROFILES, type RagbridgeConfig } from '@ragbridge/config-profiles';
import { DEFAULT_FAKE_HF_MODELS, fetchToFake, startFakeHf, writeSimplePdf, type FakeServer } from '@ragbridge/testkit';
import type { CompareQuestion, CompareSide } from '../index.js';

/** The token the fake Hugging Face services require (and the hf-spaces side gets as HF_TOKEN). */
export const FAKE_HF_TOKEN = 'hf_CompareFakeToken0123456789abcdef';
/** The hosted chat model of the hf-spaces profile. */
export const CHAT_MODEL = 'openai/gpt-oss-20b';
export const PDF_NAME = 'riscv-manual.pdf';
export const MARKDOWN_NAME = 'validation.md';

/** Ten pages, each about one topic, sharing the vocabulary of the manual (registers, instructions, memory). */
const PAGES = [
  [
    { text: 'RV32I Base Integer Instruction Set', size: 16 },
    'RV32I has 32 general-purpose registers named x0 to x31, each 32 bits wide.',
    'Register x0 is hardwired to the constant zero, so writes to it are discarded.',
    'The program counter pc holds the address of the current instruction.',
  ],
  [
    { text: 'Instruction Encoding', size: 16 },
    'The funct3 field selects the operation within the major opcode of a register-register instruction.',
    'The funct7 field further distinguishes operations such as ADD and SUB that share a funct3 value.',
    'Immediates are sign-extended from the instruction to the full register width.',
  ],
  [
    { text: 'Memory Model', size: 16 },
    'The memory system is little-endian: the least significant byte of a word is stored at the lowest address.',
    'Loads and stores move data between registers and memory; misaligned accesses may trap.',
    'The FENCE instruction orders memory accesses between harts as seen by other harts and devices.',
  ],
  [
    { text: 'Control and Status Registers', size: 16 },
    'The mtvec register holds the trap vector base address used when a trap is taken in machine mode.',
    'The mstatus register keeps the global interrupt enable bits and the previous privilege mode.',
    'CSR instructions read and write control and status registers atomically.',
  ],
  [
    { text: 'Integer Computational Instructions', size: 16 },
    'ADDI adds the sign-extended 12-bit immediate to register rs1 and writes the sum to register rd.',
    'SLTI writes 1 to rd when rs1 is less than the immediate, comparing as signed numbers.',
    'ANDI, ORI and XORI perform logical operations on a register and an immediate.',
  ],
  [
    { text: 'Control Transfer Instructions', size: 16 },
    'JAL jumps to a target address and stores the return address in register rd.',
    'Conditional branches compare two registers and branch when the condition holds.',
    'BEQ branches when the registers are equal and BNE when they are not equal.',
  ],
  [
    { text: 'Load and Store Instructions', size: 16 },
    'LW loads a 32-bit word from memory into a register; SW stores a word from a register to memory.',
    'The effective address is a base register plus a sign-extended 12-bit offset.',
    'LB and LBU load a byte and extend it with the sign bit or with zeros.',
  ],
  [
    { text: 'Privilege Levels', size: 16 },
    'Machine mode is the highest privilege level; supervisor and user modes run with fewer rights.',
    'When a trap is taken, the mepc register holds the address of the instruction that caused the exception.',
    'The MRET instruction returns from a trap to the privilege mode saved in mstatus.',
  ],
  [
    { text: 'Compressed Instructions', size: 16 },
    'The C extension adds 16-bit encodings of common operations to reduce code size.',
    'Compressed instructions can name only eight of the registers in most formats.',
    'Each compressed instruction expands to one standard 32-bit instruction.',
  ],
  [
    { text: 'Atomic Instructions', size: 16 },
    'Load-reserved and store-conditional instructions build lock-free data structures.',
    'AMO instructions perform a read-modify-write of a memory word atomically.',
    'The aq and rl bits order an atomic instruction with respect to other memory accesses.',
  ],
];

const VALIDATION = `# Software Validation

Software validation confirms that the software specifications conform to user needs and intended uses.
Validation activities are planned early and repeated whenever the software changes in ways that matter.
`;

/** Six questions with one evidence page each, in four categories, and one out of scope. */
export const QUESTIONS: CompareQuestion[] = [
  { id: 'q-zero', question: 'Which register is hardwired to the constant zero?', category: 'fact', evidence: [{ doc: PDF_NAME, pages: [1] }] },
  { id: 'q-funct3', question: 'What does the funct3 field select?', category: 'encoding', evidence: [{ doc: PDF_NAME, pages: [2] }] },
  { id: 'q-mepc', question: 'Which register holds the address of the instruction that caused an exception?', category: 'privileged', evidence: [{ doc: PDF_NAME, pages: [8] }] },
  { id: 'q-mtvec', question: 'Which register holds the trap vector base address?', category: 'privileged', evidence: [{ doc: PDF_NAME, pages: [4] }] },
  { id: 'q-validation', question: 'What is software validation?', category: 'definition', evidence: [{ doc: MARKDOWN_NAME, pages: [1] }] },
  { id: 'q-code-size', question: 'How can programs be made smaller with shorter encodings?', category: 'encoding', evidence: [{ doc: PDF_NAME, pages: [9] }] },
  { id: 'q-nitrogen', question: 'What is the boiling point of liquid nitrogen at sea level?', category: 'out-of-scope', evidence: [] },
];

/** A temporary folder with the corpus under `docs/`; `cleanup()` removes it. */
export async function writeCompareCorpus(): Promise<{ dir: string; docs: string; storePath: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ragbridge-compare-'));
  const docs = join(dir, 'docs');
  await mkdir(docs);
  await writeFile(join(docs, PDF_NAME), writeSimplePdf({ title: 'RISC-V manual', pages: PAGES.map((lines) => ({ lines })) }));
  await writeFile(join(docs, MARKDOWN_NAME), VALIDATION);
  return { dir, docs, storePath: join(dir, 'compare.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The fake Hugging Face router and hf-inference with the profile's chat model (served by together and groq), token required. */
export function startHf(): Promise<FakeServer> {
  return startFakeHf({ token: FAKE_HF_TOKEN, models: [...DEFAULT_FAKE_HF_MODELS, { id: CHAT_MODEL, task: 'conversational', providers: ['together', 'groq'] }] });
}

/** A logger that keeps what it was told (the runtime warns when a part falls back). */
export function memoryLogger(): { warn(message: string): void; info(message: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn: ${m}`), info: (m) => lines.push(`info: ${m}`) };
}

/**
 * A global `fetch` for the tests: requests to this machine (the fakes) go through, anything else
 * is recorded and fails, so a request that escaped the fakes shows up as a failure.
 */
export function localOnlyFetch(): typeof fetch & { refused: string[] } {
  const realFetch = globalThis.fetch;
  const refused: string[] = [];
  const fn: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) return realFetch(input, init);
    refused.push(url);
    throw new TypeError(`fetch failed: ${url} is not a local fake; the network must not be used in this test`);
  };
  return Object.assign(fn, { refused });
}

/** A `fetch` for the offline side: nothing may be requested. */
export function forbiddenFetch(): typeof fetch & { calls: string[] } {
  const calls: string[] = [];
  const fn: typeof fetch = async (input) => {
    calls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    throw new TypeError('fetch failed: the offline profile must not use the network');
  };
  return Object.assign(fn, { calls });
}

/** The offline profile: no network, its Transformers.js models are not on disk (so keyword retrieval, fused order, extractive answers). */
export function offlineSide(dir: string, ledgerPath = join(dir, 'offline-usage.db')): CompareSide {
  return {
    name: 'offline',
    runtime: { config: getBuiltInProfile('offline'), env: { HF_HUB_OFFLINE: '1' }, fetch: forbiddenFetch(), baseDir: dir, ledgerPath, logger: memoryLogger() },
  };
}

/** The tiny generated Transformers.js models of the adapter package (they load offline, in-process). */
export const TEST_MODELS_DIR = fileURLToPath(new URL('../../../adapter-transformersjs/test-models', import.meta.url));
export const TINY_EMBEDDER = 'ragbridge-test/tiny-bert-embedder';
export const TINY_CROSS_ENCODER = 'ragbridge-test/tiny-bert-cross-encoder';

/**
 * The offline profile with the generated test models as its embedder and reranker: dense
 * retrieval and reranking that work with no network, from models unlike the fakes' (so the two
 * sides disagree for real). Models resolve against the adapter package's folder; ledger in `dir`.
 */
export async function localModelsSide(dir: string, ledgerPath = join(dir, 'local-models-usage.db')): Promise<CompareSide> {
  const env = { HF_HUB_OFFLINE: '1' };
  const options = { localModelPath: 'test-models', allowRemoteModels: false };
  const overrides = {
    models: {
      embedder: { chain: [{ backend: 'transformersjs', model: TINY_EMBEDDER, options }] },
      reranker: { chain: [{ backend: 'transformersjs', model: TINY_CROSS_ENCODER, options: { ...options, dtype: 'fp32' } }] },
    },
  };
  return {
    name: 'local-models',
    runtime: {
      config: await resolveConfig({ profile: 'offline', cwd: dir, env, overrides }),
      env,
      fetch: forbiddenFetch(),
      baseDir: dirname(TEST_MODELS_DIR),
      ledgerPath,
      logger: memoryLogger(),
    },
  };
}

/** The hf-spaces profile against the fake (its local fallback reranker has no model on disk). */
export function hfSpacesSide(
  dir: string,
  hf: FakeServer,
  options: { name?: string; config?: RagbridgeConfig; ledgerPath?: string; prices?: NonNullable<CompareSide['runtime']['prices']> } = {},
): CompareSide {
  return {
    name: options.name ?? 'hf-spaces',
    runtime: {
      config: options.config ?? getBuiltInProfile('hf-spaces'),
      env: { HF_TOKEN: FAKE_HF_TOKEN, HF_HUB_OFFLINE: '1' },
      fetch: fetchToFake(hf.url),
      baseDir: dir,
      ledgerPath: options.ledgerPath ?? join(dir, `${options.name ?? 'hf-spaces'}-usage.db`),
      logger: memoryLogger(),
      ...(options.prices && { prices: options.prices }),
    },
  };
}

/** hf-spaces with another embedding model (a different embedder identity), everything else the same. */
export function hfSpacesWithEmbedder(model: string, extra: { embeddingCachePath?: string } = {}): RagbridgeConfig {
  const base = BUILT_IN_PROFILES['hf-spaces'];
  return validateConfig({
    ...base,
    profile: 'hf-spaces',
    models: { ...base.models, embedder: { chain: [{ backend: 'hf-inference', model, options: { maxBatchSize: 16 } }] } },
    ...(extra.embeddingCachePath && { caches: { ...base.caches, embeddings: { path: extra.embeddingCachePath } } }),
  });
}
