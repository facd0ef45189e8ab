// One cold retrieval, for bench/cold-start.ts: a fresh process opens the store, retrieves one
// question (keyword retrieval) and prints the wall and CPU milliseconds of opening and retrieving
// (module loading excluded), with where the keyword index came from.
//
//   node --conditions=@ragbridge/source --import tsx packages/pipeline/bench/cold-start-child.ts STORE "question"
import { createPipeline, openSqliteStore } from '../src/index.js';

const [path, question] = process.argv.slice(2) as [string, string];
const cpu = (): number => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
const wall0 = performance.now();
const cpu0 = cpu();
const store = openSqliteStore({ path });
const pipeline = createPipeline({ store });
const retrieval = await pipeline.retrieve(question);
const result = {
  wallMs: performance.now() - wall0,
  cpuMs: cpu() - cpu0,
  retrieveMs: retrieval.timings.total,
  hits: retrieval.hits.length,
  keywordIndex: store.keywordIndexStatus(),
};
await pipeline.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
