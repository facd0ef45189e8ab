import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { MODEL_PARTS, type ConfigBackend, type ModelPart, type RagbridgeConfig } from './config-schema.js';
import { formatPath, formatZodIssues } from './internal/format-issues.js';
import type { ResolvedConfig } from './resolve-config.js';

/**
 * The schema of a step's `options` for a model part and backend: the one its adapter package
 * exports (e.g. `ollamaChatStepOptionsSchema`), or undefined when it is not known (its package is
 * not installed, so the step cannot run anyway).
 */
export type StepOptionsSchemaOf = (part: ModelPart, backend: ConfigBackend) => z.ZodType | undefined;

/**
 * Checks every model step's `options` against the schema its adapter package declares, so each
 * option is written once, by the adapter that takes it. The configuration schema only requires
 * `options` to be an object; the composition root, which imports the adapters, calls this.
 * Throws {@link ConfigError} naming each wrong field (`models.answer.chain[0].options.numCtx: …`)
 * and the file or variable that set it; returns the configuration with the parsed options.
 */
export function validateStepOptions(resolved: ResolvedConfig | RagbridgeConfig, schemaOf: StepOptionsSchemaOf): RagbridgeConfig {
  const config = 'config' in resolved ? resolved.config : resolved;
  const sourceOf = (path: string): string | undefined => ('config' in resolved ? setterOf(resolved, path) : undefined);
  const issues: ConfigIssue[] = [];
  const models = { ...config.models };
  for (const part of MODEL_PARTS) {
    const chain = config.models[part].chain.map((step, index) => {
      const schema = step.backend === 'extractive' ? undefined : schemaOf(part, step.backend);
      if (!schema) return step;
      const prefix = ['models', part, 'chain', index, 'options'];
      const result = schema.safeParse(step.options ?? {}, { reportInput: true });
      if (result.success) return { ...step, options: result.data as Record<string, unknown> };
      const found = formatZodIssues(result.error.issues, schema, step.options ?? {}, () => undefined);
      found.forEach((issue, i) => {
        const path = formatPath([...prefix, ...(result.error.issues[i]?.path ?? [])]);
        const source = sourceOf(path);
        issues.push({ path, message: issue.message, ...(source !== undefined && { source }) });
      });
      return step;
    });
    (models as Record<ModelPart, { chain: unknown[] }>)[part] = { chain };
  }
  if (issues.length > 0) throw new ConfigError({ issues });
  return { ...config, models } as RagbridgeConfig;
}

/** The layer (file, variable, overrides) that set the field at `path`: the last one setting it or a list or object above it. */
function setterOf(resolved: ResolvedConfig, path: string): string | undefined {
  // A configuration passed as an object has no layers to name.
  if (resolved.sources.length === 0) return undefined;
  const covering = resolved.overrides.filter((o) => path === o.path || path.startsWith(`${o.path}.`) || path.startsWith(`${o.path}[`));
  return covering.at(-1)?.source ?? `built-in profile "${resolved.profile}"`;
}
