export type { ProfileName } from './built-in-profiles.js';
export { BUILT_IN_PROFILES, isProfileName, PROFILE_NAMES } from './built-in-profiles.js';
export type { ConfigErrorOptions, ConfigIssue } from './config-error.js';
export { ConfigError, formatConfigIssues } from './config-error.js';
export type {
  AnswerStepConfig,
  ConfigBackend,
  EmbedderStepConfig,
  ModelPart,
  PostgresStorageConfig,
  RagbridgeConfig,
  RagbridgeConfigInput,
  RerankerStepConfig,
  StorageConfig,
} from './config-schema.js';
export { ADAPTER_BACKENDS, configSchema, LOCAL_BY_DEFAULT, MODEL_PARTS, PART_BACKENDS, REMOTE_BACKENDS } from './config-schema.js';
export type { DetectionCheck, DetectProfileOptions, ProfileDetection, StorageDetection } from './detect-profile.js';
export { detectProfile, detectStorage, isPostgresUrl, ollamaBaseUrl } from './detect-profile.js';
export type { ConfigExplanation, ExplainOptions } from './explain.js';
export { explain } from './explain.js';
export type { ConfigSource, FieldOverride, ResolveConfigOptions, ResolvedConfig } from './resolve-config.js';
export { getBuiltInProfile, resolveConfig, validateConfig } from './resolve-config.js';
export { validatePriceOverrides } from './price-overrides.js';
export type { StepOptionsSchemaOf } from './step-options.js';
export { validateStepOptions } from './step-options.js';
