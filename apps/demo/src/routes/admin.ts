import { rm } from 'node:fs/promises';
import type { Hono } from 'hono';
import { inside, type AppContext } from '../app-context.js';
import { errorBody } from '../guards.js';

/** Admin actions (deletion, re-index, budget changes) and the budgets they change. */
export function registerAdminRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, settings, admin } = ctx;
  const { pipeline } = runtime;
  const store = pipeline.store;
  app.delete('/api/documents/:id', admin, async (c) => {
    const doc = await store.getDocument(c.req.param('id'));
    if (!doc) return c.json(errorBody('not_found', 'no such document'), 404);
    await store.deleteDocument(doc.id);
    if (inside(settings.uploadDir, doc.source)) await rm(doc.source, { force: true });
    return c.body(null, 204);
  });
  app.post('/api/reindex', admin, async (c) => c.json({ embedded: await pipeline.indexVectors() }));
  app.get('/api/budgets', (c) => c.json({ budgets: runtime.monitor.budgets() }));
  app.put('/api/budgets', admin, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(errorBody('bad_request', 'send JSON: {"budgets": [{"window": "day", "limitUsd": 1, "mode": "block"}]}'), 400);
    }
    const rules = (body as { budgets?: unknown }).budgets;
    if (!Array.isArray(rules)) return c.json(errorBody('bad_request', 'the field "budgets" must be an array of budget rules'), 400);
    try {
      return c.json({ budgets: await runtime.monitor.setBudgets(rules) });
    } catch (error) {
      const issues = (error as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
      const detail = issues?.map((i) => `budgets.${i.path.map(String).join('.')}: ${i.message}`).join('; ') ?? 'invalid budget rules';
      return c.json(errorBody('invalid_budgets', detail), 400);
    }
  });
}
