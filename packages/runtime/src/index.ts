export type { Runtime, RuntimeLogger, RuntimeModels, RuntimeOptions, RuntimePart, RuntimePartStatus, RuntimeStepStatus } from './runtime-types.js';
export { createRuntime } from './create-runtime.js';
export { TERMINAL_BACKENDS } from './terminal-steps.js';
export { retrieverOptionsFromConfig, type ConfiguredRetrieverOptions } from './retriever-options.js';
export { ADAPTER_PACKAGE_OF, adapterPackagesOf, type AdapterImporter, type AdapterModules, type AdapterPackage } from './internal/adapter-modules.js';
