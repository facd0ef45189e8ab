import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createAppContext, type AppDependencies } from './app-context.js';
import { apiCors, errorBody, securityHeaders, wellFormedUrl } from './guards.js';
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
  app.use('*', wellFormedUrl);
  const cors = apiCors(ctx.settings.corsOrigins);
  if (cors) {
    app.use('/api/*', cors);
    app.use('/v1/*', cors);
  }
  app.onError((error, c) => {
    // A refusal raised by middleware (a 4xx) keeps its status; anything else is the server's fault.
    if (error instanceof HTTPException && error.status < 500) return c.json(errorBody('bad_request', error.message || 'the request was refused'), error.status);
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
