import { readFileSync } from 'node:fs';
import { ConfigError, validatePriceOverrides, type RagbridgeConfig, type ResolvedConfig } from '@ragbridge/config-profiles';
import { modelPriceSchema, priceTableSchema, type PriceBookOptions, type PriceTable } from '@ragbridge/cost-monitor';
import { resolveDataPath } from './runtime-config.js';

/** The price table file `prices.file` names, read and checked against the cost monitor's table schema. */
function readPriceTable(file: string, baseDir: string): PriceTable {
  const path = resolveDataPath(file, baseDir);
  const fail = (problem: string): never => {
    throw new ConfigError({
      issues: [{ path: 'prices.file', message: `${path}: ${problem}` }],
      hint: 'Point prices.file at a price table such as `ragbridge prices update` writes ({ asOf, source, prices }), or remove it to use the built-in table.',
    });
  };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    fail('is not JSON');
  }
  const parsed = priceTableSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`is not a price table (${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'invalid'})`);
  }
  return data as PriceTable;
}

/**
 * The cost monitor's prices from the configuration's `prices` (a table file replacing the
 * built-in table, and overrides checked against the cost monitor's price schema) and the runtime's
 * `prices` option, whose table wins and whose overrides come last (so they win too).
 */
export function priceBookOptions(resolved: ResolvedConfig | RagbridgeConfig, config: RagbridgeConfig, baseDir: string, given: PriceBookOptions | undefined): PriceBookOptions | undefined {
  const overrides = [...validatePriceOverrides(resolved, modelPriceSchema), ...(given?.overrides ?? [])];
  const table = given?.table ?? (config.prices.file === undefined ? undefined : readPriceTable(config.prices.file, baseDir));
  if (table === undefined && overrides.length === 0 && given === undefined) return undefined;
  return {
    ...given,
    ...(table !== undefined && { table }),
    ...(overrides.length > 0 && { overrides }),
  };
}
