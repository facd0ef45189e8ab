export type { Runtime, RuntimeLogger, RuntimeOptions, RuntimePart, RuntimePartStatus, RuntimeStepStatus } from './runtime-types.js';
export { createRuntime } from './create-runtime.js';
export { TERMINAL_BACKENDS } from './terminal-steps.js';
