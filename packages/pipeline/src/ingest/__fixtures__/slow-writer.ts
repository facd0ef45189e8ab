// Child process for the interrupted-ingest test: replaces a document with a very large one, so the
// parent can kill the process while the transaction is being written.
import { analyze } from '../../retrieval/text-analysis.js';
import { openSqliteStore } from '../../store/sqlite-store.js';

const [path, count] = process.argv.slice(2);
const store = openSqliteStore({ path: path as string });
const chunks = Array.from({ length: Number(count) }, (_, i) => {
  const text = `replacement chunk ${i} about interrupted writes`;
  return { id: `big:${i}`, docId: 'big', text, page: 1, pageEnd: 1, pageLabel: '1', sectionPath: [], charStart: 0, charEnd: text.length, terms: analyze(text).join(' '), headingTerms: '' };
});
process.stdout.write('writing\n');
await store.putDocument({
  document: { id: 'big', source: '/docs/big.pdf', name: 'big.pdf', mediaType: 'application/pdf', contentHash: 'new', pageCount: 1, byteSize: 1, ingestedAt: 2 },
  chunks,
  documentTerms: 'big',
});
process.stdout.write('committed\n');
