import { packageTestConfig } from '../../vitest.shared.js';

export default packageTestConfig(import.meta.dirname, { include: ['src/**/*.test.ts', 'examples/**/*.test.ts'] });
