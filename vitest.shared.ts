import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Workspace packages resolve to their TypeScript sources in tests, so nothing needs building first.
 * Otherwise as Node resolves: no `module` condition, which picks bundler builds Node cannot load
 * (@opentelemetry/api's has extensionless imports).
 */
const conditions = ['@ragbridge/source', 'import', 'node', 'default'];

/** The vitest configuration every package uses (tests live beside the code as `*.test.ts`). */
export function packageTestConfig(root: string, overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    root,
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@ragbridge/source'] } },
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
