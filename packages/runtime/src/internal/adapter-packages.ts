import type { ConfigBackend, RagbridgeConfig } from '@ragbridge/config-profiles';

/**
 * The adapter packages, optional peer dependencies of the runtime: a profile's steps name the
 * ones it needs, and only those are imported. An install for Hugging Face alone does not bring
 * ONNX Runtime, nor one for Ollama the Hugging Face client. (This file names them without
 * importing their types, so the runtime's declarations compile whichever of them are installed.)
 */
export type AdapterPackage = '@ragbridge/adapter-hf' | '@ragbridge/adapter-ollama' | '@ragbridge/adapter-transformersjs';

/** Adapter packages imported by the caller, by name, e.g. `{ '@ragbridge/adapter-hf': await import('@ragbridge/adapter-hf') }`. */
export type AdapterModules = { readonly [K in AdapterPackage]?: object };

/** The package that serves each model backend of the configuration. */
export const ADAPTER_PACKAGE_OF: Readonly<Record<Exclude<ConfigBackend, 'extractive'>, AdapterPackage>> = {
  'hf-inference': '@ragbridge/adapter-hf',
  'hf-tei': '@ragbridge/adapter-hf',
  ollama: '@ragbridge/adapter-ollama',
  transformersjs: '@ragbridge/adapter-transformersjs',
};

/** Imports an adapter package by name (the default is Node's own `import()`). */
export type AdapterImporter = (name: AdapterPackage) => Promise<unknown>;

/** The adapter packages the configuration's steps use (the embedder chain only when retrieval uses vectors). */
export function adapterPackagesOf(config: RagbridgeConfig): AdapterPackage[] {
  const { answer, embedder, reranker } = config.models;
  const steps = [...answer.chain, ...(config.retrieval.mode === 'keyword' ? [] : embedder.chain), ...reranker.chain];
  const names = new Set<AdapterPackage>();
  for (const step of steps) if (step.backend !== 'extractive') names.add(ADAPTER_PACKAGE_OF[step.backend]);
  return [...names];
}

/** Why a step of a package that is not installed cannot run, with the command that fixes it. */
export function notInstalledReason(name: AdapterPackage): string {
  return `${name} is not installed (npm install ${name})`;
}
