import type * as AdapterHf from '@ragbridge/adapter-hf';
import type * as AdapterOllama from '@ragbridge/adapter-ollama';
import type * as AdapterTransformers from '@ragbridge/adapter-transformersjs';
import type { ConfigBackend, ModelPart, RagbridgeConfig, StepOptionsSchemaOf } from '@ragbridge/config-profiles';
import { isNotInstalled } from './optional-packages.js';
import { adapterPackagesOf, type AdapterImporter, type AdapterModules, type AdapterPackage } from './adapter-packages.js';

/** The adapter packages as the runtime uses them (internal: naming their types here keeps them out of the public declarations). */
export interface LoadedAdapters {
  '@ragbridge/adapter-hf'?: typeof AdapterHf;
  '@ragbridge/adapter-ollama'?: typeof AdapterOllama;
  '@ragbridge/adapter-transformersjs'?: typeof AdapterTransformers;
}

const defaultImporter: AdapterImporter = (name) => import(name);

/**
 * Imports the adapter packages the configuration needs. A package that is not installed is
 * reported in `missing` (its steps cannot run); one that is installed but fails to load throws.
 */
export async function loadAdapterModules(
  config: RagbridgeConfig,
  given: AdapterModules = {},
  importer: AdapterImporter = defaultImporter,
): Promise<{ modules: LoadedAdapters; missing: AdapterPackage[] }> {
  const modules: LoadedAdapters = { ...(given as LoadedAdapters) };
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

type SchemaPick = (modules: LoadedAdapters) => ReturnType<StepOptionsSchemaOf>;

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
export function stepOptionsSchemas(modules: LoadedAdapters): StepOptionsSchemaOf {
  return (part, backend) => STEP_OPTION_SCHEMAS[part][backend]?.(modules);
}
