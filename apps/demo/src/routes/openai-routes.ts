import type { RagbridgeConfig } from '@ragbridge/config-profiles';
import type { Hono, MiddlewareHandler } from 'hono';
import type { AppContext } from '../app-context.js';
import { bearerToken, sameSecret } from '../guards.js';
import { chatCompletions, OPENAI_MODEL_ID, openAiError, replyOpenAiError, spentBudget, type ApiClient } from '../openai.js';
import { chatCompletionRequestSchema, JSON_BODY_LIMITS, jsonBody } from '../request-schemas.js';

/** The OpenAI-compatible endpoint: chat completions and the model list. */
export function registerOpenAiRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, answers, limited } = ctx;
  const apiKey = requireApiKey(runtime.config.server);
  // Listed models are the ones a request may name; `created` is when this app started.
  const models = [{ id: OPENAI_MODEL_ID, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'ragbridge' }];

  app.get('/v1/models', apiKey, (c) => c.json({ object: 'list', data: models }));
  app.get('/v1/models/:model', apiKey, (c) => {
    const found = models.find((m) => m.id === c.req.param('model'));
    return found ? c.json(found) : openAiError(c, 404, `the model "${c.req.param('model').slice(0, 100)}" does not exist; GET /v1/models lists the models`, 'model_not_found', 'model');
  });

  const chatBody = jsonBody(chatCompletionRequestSchema, { maxBytes: JSON_BODY_LIMITS.chatCompletions, reply: replyOpenAiError });
  app.post('/v1/chat/completions', limited, apiKey, chatBody, async (c) => {
    const client = c.get('client');
    // A client whose blocking budget is spent gets OpenAI's quota error, before taking a slot.
    const spent = client && spentBudget(runtime, client.id);
    if (spent) return openAiError(c, 429, spent, 'insufficient_quota');
    // Only a valid request takes an answer slot; chatCompletions gives it back whichever way it ends.
    const release = await answers.enter();
    if (!release) return openAiError(c, 429, 'the server is busy; retry in a moment', 'busy');
    try {
      return await chatCompletions(c, runtime, c.var.body, release, client);
    } catch (error) {
      release();
      throw error;
    }
  });
}

/**
 * Requests need `Authorization: Bearer <key>` with `server.apiKey` or the key of one of
 * `server.clients` when any is configured; a client's key names it (`c.get('client')`), so its
 * calls are attributed to it and its budgets apply.
 */
function requireApiKey(server: RagbridgeConfig['server']): MiddlewareHandler<{ Variables: { client: ApiClient | undefined } }> {
  const clients = server.clients ?? [];
  const open = server.apiKey === undefined && clients.length === 0;
  return async (c, next) => {
    if (!open) {
      const given = bearerToken(c);
      // Every key is compared (in constant time), so the time taken does not say which one matched.
      const matches = given === undefined ? [] : clients.filter((client) => sameSecret(given, client.apiKey));
      const shared = given !== undefined && server.apiKey !== undefined && sameSecret(given, server.apiKey);
      const client = matches[0];
      if (!client && !shared) return openAiError(c, 401, 'invalid API key', 'invalid_api_key');
      if (client) c.set('client', { id: client.id, ...(client.maxOutputTokens !== undefined && { maxOutputTokens: client.maxOutputTokens }) });
    }
    await next();
    return undefined;
  };
}
