// PostgreSQL for tests: DATABASE_URL (e.g. from `eval "$(bash tools/pg-cluster.sh start)"`), one
// random schema per describe block, dropped afterwards. Without DATABASE_URL the tests are skipped
// with a message, unless RAGBRIDGE_REQUIRE_POSTGRES=1 (CI), where they fail.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';

const HOW = 'start a cluster with `eval "$(bash tools/pg-cluster.sh start)"` (or `source scratch/pg-env.sh`)';

/** The database of one describe block. */
export interface TestDatabase {
  url: string;
  /** A fresh schema name of this block (created by the code under test, dropped after the block). */
  schema: string;
  /** A pool of its own, for looking at the tables directly. */
  admin: pg.Pool;
}

/** `describe` for tests that need PostgreSQL. */
export function describePostgres(name: string, body: (db: TestDatabase) => void): void {
  const url = process.env.DATABASE_URL?.trim();
  if (url) {
    describe(name, () => body(testDatabase(url)));
  } else if (process.env.RAGBRIDGE_REQUIRE_POSTGRES === '1') {
    describe(name, () => {
      it('needs PostgreSQL', () => {
        throw new Error(`RAGBRIDGE_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: ${HOW}`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: DATABASE_URL is not set; ${HOW}]`, () => {
      it('needs PostgreSQL', () => undefined);
    });
  }
}

function testDatabase(url: string): TestDatabase {
  const schema = `rb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  return { url, schema, admin };
}

/** A loopback port nothing listens on (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
