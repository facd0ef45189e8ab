import { basename } from 'node:path';
import type { Runtime } from '@ragbridge/runtime';
import type { Hono } from 'hono';
import type { AppContext } from '../app-context.js';

/** Health checks, the resolved profile, and Prometheus metrics. */
export function registerHealthRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, answers } = ctx;
  const store = runtime.pipeline.store;
  app.get('/api/health', async (c) =>
    c.json({
      status: 'ok',
      profile: runtime.profile,
      documents: (await store.stats()).documents,
    })
  );
  app.get('/health', async (c) => c.json({ status: 'ok', profile: runtime.profile }));
  app.get('/api/profile', (c) => c.json(publicProfile(runtime)));
  app.get('/metrics', async (c) => {
    const stats = await store.stats();
    const own = [
      gauge('ragbridge_documents', 'Documents in the store.', stats.documents),
      gauge('ragbridge_chunks', 'Chunks in the store.', stats.chunks),
      gauge('ragbridge_answers_in_flight', 'Questions being answered now.', answers.active),
      gauge('ragbridge_answers_waiting', 'Questions waiting for a free slot.', answers.waiting),
      '',
    ].join('\n');
    return c.body(own + (await runtime.monitor.metrics()), 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
}

/** One gauge in Prometheus text format: its help, its type and its value. */
function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}`;
}

/**
 * Configuration keys holding file paths, internal addresses or secrets: left out of the public
 * profile (`url`: the database's, even without its password; `schema`: its layout).
 */
const PRIVATE_KEYS = new Set(['endpoint', 'host', 'path', 'ledger', 'cacheDir', 'localModelPath', 'webhook', 'headers', 'token', 'apiKey', 'trustProxy', 'url', 'schema']);

/** URLs (any scheme), and paths at the start of a word: absolute, `./`, `../`, `~/`. */
const URL_IN_TEXT = /\b[a-z][a-z\d+.-]*:\/\/[^\s"'<>]+/gi;
const PATH_IN_TEXT = /(?<![\w.-])(?:~|\.{1,2})?\/[^\s"'<>:]*/g;

/** Text with URLs replaced by `[address]` and paths by their last segment (a config file keeps its name, not its folder). */
function withoutLocations(text: string): string {
  return text.replace(URL_IN_TEXT, '[address]').replace(PATH_IN_TEXT, (path) => basename(path) || '[path]');
}

function publicConfig(value: unknown): unknown {
  if (typeof value === 'string') return withoutLocations(value);
  if (Array.isArray(value)) return value.map(publicConfig);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([key]) => !PRIVATE_KEYS.has(key)).map(([key, v]) => [key, publicConfig(v)]));
  return value;
}

/**
 * The active profile as a public page may show it: profile name, reason, layers, warnings, each
 * part's chain (backends, model ids, breaker states) and the configuration, without file paths,
 * endpoint URLs or hosts (secrets are already redacted by `explain`).
 */
function publicProfile(runtime: Runtime) {
  const explained = runtime.explain();
  return {
    profile: explained.profile,
    reason: withoutLocations(explained.reason),
    sources: explained.sources.map(withoutLocations),
    warnings: explained.warnings.map(withoutLocations),
    parts: runtime.parts().map((part) => ({ ...part, steps: part.steps.map((step) => (step.model === undefined ? step : { ...step, model: withoutLocations(step.model) })) })),
    config: publicConfig(explained.config),
  };
}
