import type * as AdapterHf from '@ragbridge/adapter-hf';
import type * as AdapterOllama from '@ragbridge/adapter-ollama';
import type * as AdapterTransformers from '@ragbridge/adapter-transformersjs';
import type { ConfigBackend, ModelPart, RagbridgeConfig, StepOptionsSchemaOf } from '@ragbridge/config-profiles';

/**
 * The adapter packages, optional peer dependencies of the runtime: a profile's steps name the
 * ones it needs, and only those are imported. An install for Hugging Face alone does not bring
 * ONNX Runtime, nor one for Ollama the Hugging Face client.
 */
export interface AdapterModules {
  '@ragbridge/adapter-hf'?: typeof AdapterHf;
  '@ragbridge/adapter-ollama'?: typeof AdapterOllama;
  '@ragbridge/adapter-transformersjs'?: typeof AdapterTransformers;
}

export type AdapterPackage = keyof AdapterModules;

/** The package that serves each model backend of the configuration. */
export const ADAPTER_PACKAGE_OF: Readonly<Record<Exclude<ConfigBackend, 'extractive'>, AdapterPackage>> = {
  'hf-inference': '@ragbridge/adapter-hf',
  'hf-tei': '@ragbridge/adapter-hf',
  ollama: '@ragbridge/adapter-ollama',
  transformersjs: '@ragbridge/adapter-transformersjs',
};

/** Imports an adapter package by name (the default is Node's own `import()`). */
export type AdapterImporter = (name: AdapterPackage) => Promise<unknown>;

const defaultImporter: AdapterImporter = (name) => import(name);

/** The adapter packages the configuration's steps use (the embedder chain only when retrieval uses vectors). */
export function adapterPackagesOf(config: RagbridgeConfig): AdapterPackage[] {
  const { answer, embedder, reranker } = config.models;
  const steps = [...answer.chain, ...(config.retrieval.mode === 'keyword' ? [] : embedder.chain), ...reranker.chain];
  const names = new Set<AdapterPackage>();
  for (const step of steps) if (step.backend !== 'extractive') names.add(ADAPTER_PACKAGE_OF[step.backend]);
  return [...names];
}

/** Whether `error` says that `name` itself is not installed (not that something it imports failed). */
function isNotInstalled(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = error instanceof Error ? error.message : String(error);
  return message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`${name}/`);
}

/**
 * Imports the adapter packages the configuration needs. A package that is not installed is
 * reported in `missing` (its steps cannot run); one that is installed but fails to load throws.
 */
export async function loadAdapterModules(
  config: RagbridgeConfig,
  given: AdapterModules = {},
  importer: AdapterImporter = defaultImporter,
): Promise<{ modules: AdapterModules; missing: AdapterPackage[] }> {
  const modules: AdapterModules = { ...given };
  const missing: AdapterPackage[] = [];
  for (const name of adapterPackagesOf(config)) {
    if (modules[name]) continue;
    try {
      (modules as Record<string, unknown>)[name] = await importer(name);
    } catch (error) {
      if (!isNotInstalled(error, name)) throw error;
      missing.push(name);
    }
  }
  return { modules, missing };
}

/** Why a step of a package that is not installed cannot run, with the command that fixes it. */
export function notInstalledReason(name: AdapterPackage): string {
  return `${name} is not installed (npm install ${name})`;
}

type SchemaPick = (modules: AdapterModules) => ReturnType<StepOptionsSchemaOf>;

/** Where each model part's step options are declared: the schema its adapter package exports. */
const STEP_OPTION_SCHEMAS: { [P in ModelPart]: Partial<Record<ConfigBackend, SchemaPick>> } = {
  answer: {
    'hf-inference': (m) => m['@ragbridge/adapter-hf']?.hfChatStepOptionsSchema,
    ollama: (m) => m['@ragbridge/adapter-ollama']?.ollamaChatStepOptionsSchema,
    transformersjs: (m) => m['@ragbridge/adapter-transformersjs']?.transformersChatStepOptionsSchema,
  },
  embedder: {
    'hf-tei': (m) => m['@ragbridge/adapter-hf']?.teiEmbedderStepOptionsSchema,
    'hf-inference': (m) => m['@ragbridge/adapter-hf']?.hfEmbedderStepOptionsSchema,
    ollama: (m) => m['@ragbridge/adapter-ollama']?.ollamaEmbedderStepOptionsSchema,
    transformersjs: (m) => m['@ragbridge/adapter-transformersjs']?.transformersEmbedderStepOptionsSchema,
  },
  reranker: {
    'hf-tei': (m) => m['@ragbridge/adapter-hf']?.teiRerankerStepOptionsSchema,
    'hf-inference': (m) => m['@ragbridge/adapter-hf']?.hfRerankerStepOptionsSchema,
    transformersjs: (m) => m['@ragbridge/adapter-transformersjs']?.transformersRerankerStepOptionsSchema,
  },
};

/** The step-options schema of each part and backend from the imported adapter packages (none for a missing package). */
export function stepOptionsSchemas(modules: AdapterModules): StepOptionsSchemaOf {
  return (part, backend) => STEP_OPTION_SCHEMAS[part][backend]?.(modules);
}
