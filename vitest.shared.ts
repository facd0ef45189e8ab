import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Workspace packages resolve to their TypeScript sources in tests, so nothing needs building first.
 * Otherwise as Node resolves: no `module` condition, which picks bundler builds Node cannot load
 * (@opentelemetry/api's has extensionless imports).
 */
const conditions = ['@ragbridge/source', 'import', 'node', 'default'];
/**
 * Vitest hands `ssr.resolve.conditions` to Node as `--conditions`. With `import` among them a
 * CommonJS `require()` (pg's `require('pg-pool')`) picks the dependency's ESM build and fails;
 * Node adds `import` to ESM imports by itself, so it is left out there.
 */
const nodeConditions = conditions.filter((condition) => condition !== 'import');

/** The vitest configuration every package uses (tests live beside the code as `*.test.ts`). */
export function packageTestConfig(root: string, overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    root,
    resolve: { conditions },
    ssr: { resolve: { conditions: nodeConditions, externalConditions: ['@ragbridge/source'] } },
    test: {
      include: ['src/**/*.test.ts'],
      environment: 'node',
      testTimeout: 20_000,
      hookTimeout: 20_000,
      reporters: ['default'],
      ...overrides,
    },
  });
}

/**
 * For packages whose tests load `pg` (PostgreSQL): vitest hands `ssr.resolve.conditions` to Node as
 * `--conditions`, and with `import` among them pg's CommonJS `require('pg-pool')` loads pg-pool's ESM
 * build and fails. Node adds `import` to ESM imports by itself, so it is left out.
 */
export function withoutNodeImportCondition(config: ViteUserConfig): ViteUserConfig {
  const ssrResolve = config.ssr?.resolve;
  if (ssrResolve?.conditions) ssrResolve.conditions = ssrResolve.conditions.filter((condition) => condition !== 'import');
  return config;
}
