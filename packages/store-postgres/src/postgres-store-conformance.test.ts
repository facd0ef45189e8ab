import { describeDocumentStoreConformance } from '@ragbridge/core-interfaces/testing';
import { describe } from 'vitest';
import type { PostgresStore } from './index.js';
import { skipPostgres, testSchemas } from './__fixtures__/test-database.js';

describe.skipIf(skipPostgres)('PostgresStore', () => {
  const schemas = testSchemas('conformance');
  describeDocumentStoreConformance('PostgresStore', {
    create: () => schemas.open(),
    // Another pool on the same schema: what a second replica opens.
    openSecond: (store) => schemas.open({ schema: (store as PostgresStore).schema }),
  });
});
