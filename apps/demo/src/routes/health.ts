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
  app.get('/api/profile', (c) => {
    const explained = runtime.explain();
    return c.json({
      profile: explained.profile,
      reason: explained.reason,
      sources: explained.sources,
      warnings: explained.warnings,
      parts: runtime.parts(),
      config: explained.config,
    });
  });
  app.get('/metrics', async (c) => {
    const stats = await store.stats();
    const own = [
      '# HELP ragbridge_documents Documents in the store.',
      '# TYPE ragbridge_documents gauge',
      `ragbridge_documents ${stats.documents}`,
      '# HELP ragbridge_chunks Chunks in the store.',
      '# TYPE ragbridge_chunks gauge',
      `ragbridge_chunks ${stats.chunks}`,
      '# HELP ragbridge_answers_in_flight Questions being answered now.',
      '# TYPE ragbridge_answers_in_flight gauge',
      `ragbridge_answers_in_flight ${answers.active}`,
      '# HELP ragbridge_answers_waiting Questions waiting for a free slot.',
      '# TYPE ragbridge_answers_waiting gauge',
      `ragbridge_answers_waiting ${answers.waiting}`,
      '',
    ].join('\n');
    return c.body(own + (await runtime.monitor.metrics()), 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
}
