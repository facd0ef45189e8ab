import { BadInputError } from '@ragbridge/core-interfaces';
import { inTransaction, type PostgresDatabase } from './postgres-database.js';
import { quoteIdentifier } from './sql-values.js';

/**
 * Brings `component`'s tables in `db.schema` to the newest of `steps` (step `i` takes version `i`
 * to `i + 1`; `{schema}` stands for the quoted schema). Runs in one transaction under an advisory
 * lock on the schema, so replicas starting together migrate once, and components sharing a schema
 * (the cost monitor's state, the embedding cache) may migrate it at the same time. The version
 * table `ragbridge_schema_versions` holds one row per component. Tables newer than `steps` are
 * refused with a `BadInputError`.
 */
export async function migrate(db: PostgresDatabase, component: string, steps: readonly string[]): Promise<void> {
  const schema = quoteIdentifier(db.schema);
  await inTransaction(db, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ragbridge.migrate'), hashtext($1))`, [db.schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.ragbridge_schema_versions (component text PRIMARY KEY, version integer NOT NULL)`);
    const { rows } = await client.query(`SELECT version FROM ${schema}.ragbridge_schema_versions WHERE component = $1`, [component]);
    const current = Number(rows[0]?.version ?? 0);
    if (current > steps.length) {
      throw new BadInputError({
        backend: 'postgres',
        message: `The ${component} tables in schema "${db.schema}" are at version ${current}, newer than this package knows (${steps.length})`,
        hint: 'Upgrade this package to the version the other replicas run, or use another schema.',
      });
    }
    for (let version = current; version < steps.length; version++) await client.query((steps[version] as string).replaceAll('{schema}', schema));
    await client.query(
      `INSERT INTO ${schema}.ragbridge_schema_versions (component, version) VALUES ($1, $2) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version`,
      [component, steps.length],
    );
  });
}
