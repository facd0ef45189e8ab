import nx from '@nx/eslint-plugin';

/**
 * Module boundaries (see docs/architecture.md):
 * - type:contracts (core-interfaces) imports no package of ours;
 * - type:adapter imports contracts only (never another adapter);
 * - type:lib (config-profiles, cost-monitor, resilience, pipeline) imports contracts and other libs, never adapters;
 * - type:infra (postgres-connection) imports contracts only; adapters, libraries and the composition root may use it;
 * - type:testkit (the fakes) imports contracts; any package may use it in tests;
 * - type:app imports anything.
 */
export const depConstraints = [
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
  // Plumbing shared by adapters and libraries (the PostgreSQL connection): it knows no ragbridge part but the contracts.
  { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:testkit'] },
  { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:contracts', 'type:infra', 'type:testkit'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:contracts', 'type:infra', 'type:lib', 'type:testkit'] },
  // The composition root: turns configuration into adapters, chains, monitor and pipeline.
  { sourceTag: 'type:composition', onlyDependOnLibsWithTags: ['type:contracts', 'type:infra', 'type:lib', 'type:adapter', 'type:composition', 'type:testkit'] },
  { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:contracts', 'type:sample'] },
  // The sample corpus and its PDF writer: data and a dependency-free writer.
  { sourceTag: 'type:sample', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
];

export default [
  { ignores: ['**/scratch/**', '**/dist/**', '**/out-tsc/**', '**/node_modules/**', '**/.nx/**', '**/__fixtures__/**', '**/coverage/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.js'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          checkDynamicDependenciesExceptions: [],
          banTransitiveDependencies: false,
          allow: [],
          depConstraints,
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@ragbridge/*/src/*', '@ragbridge/*/dist/*'], message: 'Import a package by its public entry point, never its files.' },
          ],
        },
      ],
    },
  },
  {
    // The fakes are for tests, benchmarks and the demo; published package code must not need them.
    files: ['packages/**/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'packages/testkit/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '@ragbridge/testkit', message: '@ragbridge/testkit is private: use it only in *.test.ts files.' }],
          patterns: [
            { group: ['@ragbridge/*/src/*', '@ragbridge/*/dist/*'], message: 'Import a package by its public entry point, never its files.' },
          ],
        },
      ],
    },
  },
  {
    // Test configuration shares the root vitest setup by relative import, and examples import
    // their package by its published name as a user would; neither is package code.
    files: ['**/vitest.config.ts', '**/examples/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
