// A replica that ingests until it is killed: puts large documents (and their vectors) in a loop,
// replacing them in turn. Run by crash-recovery.test.ts, which kills it with SIGKILL mid-transaction.
//   node --conditions=@ragbridge/source --import tsx ingest-forever.ts <database-url> <schema> <chunks>
// Prints `putting <id>` before and `stored <id>` after each document.
import type { DocumentRecord } from '@ragbridge/core-interfaces';
import { openPostgresStore } from '../index.js';
import { crashTestDocument, CRASH_TEST_IDENTITY, crashTestVector } from './crash-test-documents.js';

const [url, schema, chunkCount] = process.argv.slice(2);
if (!url || !schema || !chunkCount) throw new Error('usage: ingest-forever.ts <database-url> <schema> <chunks>');
const store = await openPostgresStore({ url, schema, maxConnections: 2 });
for (let round = 0; ; round++) {
  const record: DocumentRecord = crashTestDocument(`big-${round % 3}`, Number(chunkCount), round);
  console.log(`putting ${record.document.id}`);
  await store.putDocument(record);
  await store.putVectors({ identity: CRASH_TEST_IDENTITY, entries: record.chunks.map((c, i) => ({ chunkId: c.id, vector: crashTestVector(i) })) });
  console.log(`stored ${record.document.id}`);
}
