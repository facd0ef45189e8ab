import { packageTestConfig } from '../../vitest.shared.js';

const config = packageTestConfig(import.meta.dirname);
// Vitest hands ssr.resolve.conditions to Node as --conditions. With `import` among them, pg's
// CommonJS `require('pg-pool')` loads pg-pool's ESM build and fails; Node adds `import` to ESM
// imports by itself, so it is left out here.
const ssrResolve = config.ssr?.resolve;
if (ssrResolve?.conditions) ssrResolve.conditions = ssrResolve.conditions.filter((condition) => condition !== 'import');

export default config;
