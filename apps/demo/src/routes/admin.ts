import { rm, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RagbridgeError } from '@ragbridge/core-interfaces';
import type { BudgetRule } from '@ragbridge/cost-monitor';
import type { Hono } from 'hono';
import type { z } from 'zod';
import { inside, type AppContext } from '../app-context.js';
import { errorBody, replyError } from '../guards.js';
import { budgetsRequestSchema, describeIssues, JSON_BODY_LIMITS, jsonBody } from '../request-schemas.js';

/** Admin actions (deletion, re-index, budget changes) and the budgets they change. */
export function registerAdminRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, settings, admin } = ctx;
  const { pipeline } = runtime;
  const store = pipeline.store;
  // The UI's admin sign-in checks a token here before showing admin controls.
  app.get('/api/admin', admin, (c) => c.json({ admin: true }));
  app.delete('/api/documents/:id', admin, async (c) => {
    const doc = await store.getDocument(c.req.param('id'));
    if (!doc) return c.json(errorBody('not_found', 'no such document'), 404);
    await store.deleteDocument(doc.id);
    if (inside(settings.uploadDir, doc.source)) {
      await rm(doc.source, { force: true });
      // An upload lives in a folder of its own: remove it when it is left empty.
      const folder = dirname(doc.source);
      if (folder !== resolve(settings.uploadDir) && inside(settings.uploadDir, folder)) await rmdir(folder).catch(() => undefined);
    }
    return c.body(null, 204);
  });
  app.post('/api/reindex', admin, async (c) => {
    try {
      return c.json({ embedded: await pipeline.indexVectors() });
    } catch (error) {
      if (!RagbridgeError.isInstance(error)) throw error;
      // The embedder failed: only its error's name, since messages may name model folders.
      const advice = 'the documents stay findable by keywords';
      if (error.isRetryable) {
        c.header('Retry-After', String(Math.max(1, Math.ceil((error.retryAfterMs ?? 30_000) / 1000))));
        return c.json(errorBody('embedder_failed', `the embedder failed (${error.name}); retry later — ${advice}`), 503);
      }
      return c.json(errorBody('embedder_unavailable', `no embedder can run here (${error.name}): see GET /api/profile — ${advice}`), 409);
    }
  });
  app.get('/api/budgets', (c) => c.json({ budgets: runtime.monitor.budgets() }));
  const budgetsBody = jsonBody(budgetsRequestSchema, { maxBytes: JSON_BODY_LIMITS.budgets, reply: replyError });
  app.put('/api/budgets', admin, budgetsBody, async (c) => {
    try {
      return c.json({ budgets: await runtime.monitor.setBudgets(c.var.body.budgets as BudgetRule[]) });
    } catch (error) {
      // The cost monitor validates the rules (its schema, its messages); other failures are the server's.
      const issues = (error as { issues?: z.core.$ZodIssue[] }).issues;
      if (!Array.isArray(issues)) throw error;
      const { message, field } = describeIssues(issues, 'budgets');
      return c.json(errorBody('invalid_budgets', message, field), 400);
    }
  });
}
