import { describeDocumentStoreConformance } from '@ragbridge/core-interfaces/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'rb-store-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

describeDocumentStoreConformance('SQLite store (file, second connection)', {
  create: () => openSqliteStore({ path: join(dir, `store-${files++}.db`) }),
  openSecond: (store) => openSqliteStore({ path: (store as SqliteStore).path }),
});

describeDocumentStoreConformance('SQLite store (in memory)', {
  create: () => openSqliteStore({ path: ':memory:' }),
});
