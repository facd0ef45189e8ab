export type { Runtime, RuntimeLogger, RuntimeModels, RuntimeOptions, RuntimePart, RuntimePartStatus, RuntimeStepStatus } from './runtime-types.js';
export { createRuntime } from './create-runtime.js';
/** The backend each chain's terminal step reports (from the backends table of `@ragbridge/core-interfaces`). */
export { TERMINAL_BACKENDS } from '@ragbridge/core-interfaces';
export { retrieverOptionsFromConfig, type ConfiguredRetrieverOptions } from './retriever-options.js';
export type { StorageImporter, StoragePackage } from './internal/storage-packages.js';
export { ADAPTER_PACKAGE_OF, adapterPackagesOf, type AdapterImporter, type AdapterModules, type AdapterPackage } from './internal/adapter-packages.js';
