import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { ADAPTER_BACKENDS, type ConfigBackend, type RagbridgeConfig } from './config-schema.js';
import { formatPath, formatZodIssues } from './internal/format-issues.js';
import type { ResolvedConfig } from './resolve-config.js';

/**
 * Checks `prices.overrides` against the cost monitor's price schema (`modelPriceSchema`, given by
 * the composition root, which imports the cost monitor), so a price's fields are declared once, by
 * the cost monitor. Each row is written with `model` and a configuration backend name
 * (`hf-inference`, `hf-tei`); they become the cost monitor's `modelId` and adapter backend
 * (`hf-inference-providers`). Throws {@link ConfigError} naming each wrong field
 * (`prices.overrides[0].perHour: …`); returns the rows as the cost monitor takes them.
 */
export function validatePriceOverrides<S extends z.ZodType>(resolved: ResolvedConfig | RagbridgeConfig, schema: S): Array<z.output<S>> {
  const config = 'config' in resolved ? resolved.config : resolved;
  const issues: ConfigIssue[] = [];
  const rows = (config.prices.overrides ?? []).map((written, index) => {
    const { model, backend, ...rest } = written;
    const row = {
      ...rest,
      ...(model !== undefined && { modelId: model }),
      ...(backend !== undefined && { backend: typeof backend === 'string' && backend in ADAPTER_BACKENDS ? ADAPTER_BACKENDS[backend as ConfigBackend] : backend }),
    };
    const result = schema.safeParse(row, { reportInput: true });
    if (result.success) return result.data as z.output<S>;
    const found = formatZodIssues(result.error.issues, schema, row, () => undefined);
    found.forEach((issue, i) => {
      const path = (result.error.issues[i]?.path ?? []).map((key) => (key === 'modelId' ? 'model' : key));
      issues.push({ path: formatPath(['prices', 'overrides', index, ...path]), message: issue.message.replace(/\bmodelId\b/g, 'model') });
    });
    return undefined;
  });
  if (issues.length > 0) throw new ConfigError({ issues });
  return rows as Array<z.output<S>>;
}
