import { Hono } from 'hono';
import { createAppContext, type AppDependencies } from './app-context.js';
import { errorBody, securityHeaders } from './guards.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAskRoutes } from './routes/ask.js';
import { registerDocumentRoutes } from './routes/documents.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerOpenAiRoutes } from './routes/openai-routes.js';
import { registerStaticRoutes } from './routes/static.js';

export type { AppDependencies } from './app-context.js';
export { publicMessage } from './routes/ask.js';
export { safeFileName } from './uploads.js';

/** The HTTP API and web UI over one runtime: one route module per area over a shared app context. */
export function createApp(deps: AppDependencies): Hono {
  const ctx = createAppContext(deps);
  const app = new Hono();
  app.use('*', securityHeaders);
  app.onError((error, c) => {
    // Never echo internals: the message names the problem, the stack stays in the log.
    console.error(`[demo] ${c.req.method} ${c.req.path}: ${error instanceof Error ? error.name : 'Error'}`);
    return c.json(errorBody('internal', 'the server could not complete the request'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));
  registerHealthRoutes(app, ctx);
  registerDocumentRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerAskRoutes(app, ctx);
  registerOpenAiRoutes(app, ctx);
  // Last: its wildcard serves the UI for any path no API route took.
  registerStaticRoutes(app, ctx);
  return app;
}
