// Module hooks of the benchmark (registered after tsx, so they see tsx's resolved .ts URLs): more
// copies of the pipeline, each imported with `?no-tracing=<copy>`, whose modules keep that mark
// and whose tracing module is the pass-through stub beside this file. The pipeline imported
// without the mark is left as it is, so one process can time them side by side.
const MARK = 'no-tracing';
const PIPELINE_SOURCE = '/packages/pipeline/src/';
const TRACING_MODULE = `${PIPELINE_SOURCE}internal/pipeline-tracing.ts`;
const STUB = new URL('./no-tracing-stub.ts', import.meta.url);

const copyOf = (url) => (url === undefined ? null : new URL(url).searchParams.get(MARK));

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const copy = copyOf(context.parentURL) ?? copyOf(resolved.url);
  if (copy === null) return resolved;
  const url = new URL(resolved.url);
  if (url.protocol !== 'file:' || !url.pathname.includes(PIPELINE_SOURCE)) return resolved;
  const target = url.pathname.endsWith(TRACING_MODULE) ? new URL(STUB) : url;
  target.searchParams.set(MARK, copy);
  return { ...resolved, url: target.href };
}
