import * as adapterHf from '@ragbridge/adapter-hf';
import * as adapterOllama from '@ragbridge/adapter-ollama';
import * as adapterTransformers from '@ragbridge/adapter-transformersjs';
import { configSchema, MODEL_PARTS, PART_BACKENDS } from '@ragbridge/config-profiles';
import { BACKENDS } from '@ragbridge/core-interfaces';
import { ANN_THRESHOLD_DEFAULT, ANSWERER_DEFAULTS, CHUNKER_DEFAULTS, RETRIEVER_DEFAULTS } from '@ragbridge/pipeline';
import { BREAKER_DEFAULTS, RETRY_DEFAULTS } from '@ragbridge/resilience';
import { POSTGRES_STORE_DEFAULTS } from '@ragbridge/store-postgres';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// "One fact, one place" (STYLE.md): an adapter option is declared by its adapter, a default by the
// package that owns the setting, which backends are local by the backends table. These checks fail
// when a second spelling appears.

/** The object schema of each `models.<part>.chain` step variant, by backend. */
function stepVariants(part: (typeof MODEL_PARTS)[number]): Map<string, z.ZodObject> {
  const models = configSchema.def.in.def.shape.models.def.innerType as z.ZodObject;
  const chainHolder = (models.shape[part] as z.ZodPrefault).def.innerType as z.ZodObject;
  const chain = chainHolder.shape.chain as z.ZodArray;
  const union = chain.def.element as z.ZodDiscriminatedUnion;
  const variants = new Map<string, z.ZodObject>();
  for (const option of union.def.options as z.ZodObject[]) {
    variants.set(String((option.shape.backend as z.ZodLiteral).value), option);
  }
  return variants;
}

/** The schema under `.optional()` / `.default()` wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { def: { innerType?: z.ZodType } };
  while (current.def.innerType) current = current.def.innerType as typeof current;
  return current;
}

/** Every adapter option name a configuration step may set, from the adapters' exported step-options schemas. */
const ADAPTER_STEP_OPTIONS: z.ZodObject[] = [
  adapterHf.hfChatStepOptionsSchema,
  adapterHf.hfEmbedderStepOptionsSchema,
  adapterHf.hfRerankerStepOptionsSchema,
  adapterHf.teiEmbedderStepOptionsSchema,
  adapterHf.teiRerankerStepOptionsSchema,
  adapterOllama.ollamaChatStepOptionsSchema,
  adapterOllama.ollamaEmbedderStepOptionsSchema,
  adapterTransformers.transformersChatStepOptionsSchema,
  adapterTransformers.transformersEmbedderStepOptionsSchema,
  adapterTransformers.transformersRerankerStepOptionsSchema,
];

describe('adapter options are declared by the adapters only', () => {
  it("the configuration schema leaves every model step's options open (an object), for the adapter's schema to check", () => {
    for (const part of MODEL_PARTS) {
      for (const backend of PART_BACKENDS[part]) {
        const step = stepVariants(part).get(backend);
        expect(step, `${part}/${backend}`).toBeDefined();
        const options = unwrap(step?.shape.options as z.ZodType);
        if (backend === 'extractive') continue; // not an adapter: the pipeline's own answer
        expect(options.def.type, `models.${part}.chain[].options of ${backend} declares fields by hand`).toBe('record');
      }
    }
  });

  it('no adapter option name is declared as a field of a configuration step', () => {
    const adapterOptionNames = new Set(ADAPTER_STEP_OPTIONS.flatMap((schema) => Object.keys(schema.shape)));
    // Step fields the configuration owns: what the runtime turns into adapter arguments itself.
    const stepFields = new Set<string>();
    for (const part of MODEL_PARTS) for (const step of stepVariants(part).values()) for (const key of Object.keys(step.shape)) stepFields.add(key);
    // `options` is the container itself (and also the Ollama adapter's raw request options inside it).
    const repeated = [...stepFields].filter((key) => key !== 'options' && adapterOptionNames.has(key));
    // `headers`, `revision` and the like live in options; none may move up beside `model`.
    expect(repeated).toEqual([]);
  });
});

/** Paths of every value `configSchema.parse({})` fills in. */
function filledPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value === undefined ? [] : [prefix];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return prefix.startsWith('models.') || prefix === 'resilience.concurrency' ? [prefix] : [];
  return entries.flatMap(([key, child]) => filledPaths(child, prefix ? `${prefix}.${key}` : key));
}

describe('every default is defined once', () => {
  it('the configuration fills only settings no package has a default for', () => {
    // Each of these belongs to the configuration or the app alone (no package option takes it).
    expect(filledPaths(configSchema.parse({})).sort()).toEqual(
      [
        'offline', // the configuration's own switch
        'models.answer.chain', // the extractive last step
        'models.embedder.chain',
        'models.reranker.chain',
        'retrieval.mode',
        'storage.kind', // sqlite when left out
        'storage.path',
        'resilience.timeoutMs', // the resilience layer has no timeout unless given one
        'resilience.streamIdleTimeoutMs',
        'resilience.concurrency',
        'budgets.ledger', // with SQLite storage; with PostgreSQL the storage's database
        'budgets.limits',
        'caches.embeddings.enabled',
        'caches.answers.enabled',
        'server.host',
        'server.port',
        'server.corsOrigins',
        'server.maxConcurrentRequests',
        'server.requestTimeoutMs',
        'server.maxUploadMb',
        'server.trustProxy',
      ].sort(),
    );
  });

  it("settings a package owns stay unset in the configuration, so the package's exported default applies", () => {
    const config = configSchema.parse({ resilience: { retry: {}, breaker: {} }, retrieval: { chunking: {} } });
    const owned: Array<[string, unknown, Record<string, unknown>]> = [
      ['resilience.retry', config.resilience.retry, RETRY_DEFAULTS],
      ['resilience.breaker', config.resilience.breaker, BREAKER_DEFAULTS],
      ['retrieval.chunking', config.retrieval.chunking, CHUNKER_DEFAULTS],
      ['retrieval', config.retrieval, { k: RETRIEVER_DEFAULTS.k, candidates: RETRIEVER_DEFAULTS.candidates, rerankCandidates: RETRIEVER_DEFAULTS.rerankCandidates, sources: ANSWERER_DEFAULTS.sources }],
    ];
    for (const [path, section, defaults] of owned) {
      for (const key of Object.keys(defaults)) expect((section as Record<string, unknown>)[key], `${path}.${key}`).toBeUndefined();
    }
    expect(config.caches.embeddings.maxEntries).toBeUndefined();
    expect(config.caches.answers.maxEntries).toBeUndefined();
    expect(config.caches.answers.ttlMs).toBeUndefined();
    expect(config.budgets.unknownPrice).toBeUndefined();
    // PostgreSQL storage: the store package's defaults (schema, pool size, ef_search) stay its own.
    const postgres = configSchema.parse({ storage: { kind: 'postgres', url: 'postgres://db.internal/rag' } }).storage;
    for (const key of Object.keys(POSTGRES_STORE_DEFAULTS)) expect((postgres as Record<string, unknown>)[key], `storage.${key}`).toBeUndefined();
    expect(ANN_THRESHOLD_DEFAULT).toBeGreaterThan(0);
  });
});

/** Every non-test TypeScript source file under `packages/` and `apps/`. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist' || name === '__fixtures__') continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(path);
    }
  };
  for (const group of ['packages', 'apps']) for (const pkg of readdirSync(join(ROOT, group))) walk(join(ROOT, group, pkg, 'src'));
  return out.filter((p) => statSync(p).isFile());
}

describe('which backends are local is said once: the backends table', () => {
  it('no source lists local backends by hand', () => {
    const local = new Set(Object.entries(BACKENDS).filter(([, info]) => info.location === 'local').map(([name]) => name));
    // A list literal of two or more local backends and nothing else is a second copy of the table's column.
    const isLocalList = (literal: string): boolean => {
      const names = [...literal.matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
      return names.length >= 2 && names.every((name) => local.has(name));
    };
    const offenders = sources()
      .filter((path) => !path.endsWith(join('core-interfaces', 'src', 'backends.ts')))
      .filter((path) => (readFileSync(path, 'utf8').match(/\[\s*'[^'\n]+'(\s*,\s*'[^'\n]+')+\s*,?\s*\]/g) ?? []).some(isLocalList))
      .map((path) => relative(ROOT, path));
    expect(offenders).toEqual([]);
  });
});
