import pg from 'pg';

/** What the database is, for the output. */
export interface ServerInfo {
  version: string;
  pgvector: string;
  sharedBuffers: string;
}

/** A connection string with its password replaced by `***`, for printing. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(DATABASE_URL is not a URL)';
  }
}

/** Runs `body` with a client of its own, closed afterwards. */
export async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** PostgreSQL's version, pgvector's, and shared_buffers. */
export function serverInfo(url: string): Promise<ServerInfo> {
  return withClient(url, async (client) => {
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?';
    const pgvector = (await client.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'")).rows[0]?.v ?? 'not created yet';
    const sharedBuffers = (await client.query<{ v: string }>("SELECT current_setting('shared_buffers') AS v")).rows[0]?.v ?? '?';
    return { version, pgvector, sharedBuffers };
  });
}

/** Whether a schema exists. */
export function schemaExists(url: string, schema: string): Promise<boolean> {
  return withClient(url, async (client) => ((await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount ?? 0) > 0);
}

/** Drops the benchmark's schema with everything in it. */
export function dropSchema(url: string, schema: string): Promise<void> {
  return withClient(url, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

/** `VACUUM (ANALYZE)` of every table of the schema, as autovacuum does after a bulk load; seconds taken. */
export function vacuumAnalyze(url: string, schema: string): Promise<number> {
  return withClient(url, async (client) => {
    const started = performance.now();
    const { rows } = await client.query<{ name: string }>("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = $1", [schema]);
    for (const { name } of rows) await client.query(`VACUUM (ANALYZE) ${name}`);
    return (performance.now() - started) / 1000;
  });
}

/** Total on-disk size of the schema's tables and indexes, and each HNSW index's definition and size. */
export function schemaSizes(url: string, schema: string): Promise<{ totalMb: number; hnsw: Array<{ definition: string; mb: number }> }> {
  return withClient(url, async (client) => {
    const total = await client.query<{ bytes: string }>(
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'",
      [schema],
    );
    const hnsw = await client.query<{ definition: string; bytes: string }>(
      "SELECT indexdef AS definition, pg_relation_size(format('%I.%I', schemaname, indexname)::regclass)::text AS bytes FROM pg_indexes WHERE schemaname = $1 AND indexdef ILIKE '%USING hnsw%'",
      [schema],
    );
    return { totalMb: Number(total.rows[0]?.bytes ?? 0) / 1e6, hnsw: hnsw.rows.map((r) => ({ definition: r.definition, mb: Number(r.bytes) / 1e6 })) };
  });
}

/** Blocks of the schema's tables, indexes and TOAST found in shared_buffers (`hit`) or read from the OS (`read`), cumulative. */
export interface BufferCounts {
  hit: number;
  read: number;
}

/** The schema's cumulative buffer hits and reads (pg_statio_user_tables); compare two readings. */
export function bufferCounts(url: string, schema: string): Promise<BufferCounts> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ hit: string; read: string }>(
      `SELECT (coalesce(sum(heap_blks_hit), 0) + coalesce(sum(idx_blks_hit), 0) + coalesce(sum(toast_blks_hit), 0) + coalesce(sum(tidx_blks_hit), 0))::text AS hit,
              (coalesce(sum(heap_blks_read), 0) + coalesce(sum(idx_blks_read), 0) + coalesce(sum(toast_blks_read), 0) + coalesce(sum(tidx_blks_read), 0))::text AS read
       FROM pg_statio_user_tables WHERE schemaname = $1`,
      [schema],
    );
    return { hit: Number(rows[0]?.hit ?? 0), read: Number(rows[0]?.read ?? 0) };
  });
}

/** `93.1% of 1,234,567 block reads from shared_buffers` between two readings. */
export function bufferHitLine(before: BufferCounts, after: BufferCounts): string {
  const hit = after.hit - before.hit;
  const read = after.read - before.read;
  const total = hit + read;
  return total === 0 ? 'no block reads' : `${((100 * hit) / total).toFixed(1)}% of ${total.toLocaleString('en-US')} block reads found in shared_buffers (the rest came from the OS page cache or disk)`;
}
