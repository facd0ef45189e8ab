import type { Hono, MiddlewareHandler } from 'hono';
import type { AppContext } from '../app-context.js';
import { bearerToken, sameSecret } from '../guards.js';
import { chatCompletions, OPENAI_MODEL_ID, openAiError, replyOpenAiError } from '../openai.js';
import { chatCompletionRequestSchema, JSON_BODY_LIMITS, jsonBody } from '../request-schemas.js';

/** The OpenAI-compatible endpoint: chat completions and the model list. */
export function registerOpenAiRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, answers, limited } = ctx;
  const apiKey = requireApiKey(runtime.config.server.apiKey);
  // Listed models are the ones a request may name; `created` is when this app started.
  const models = [{ id: OPENAI_MODEL_ID, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'ragbridge' }];

  app.get('/v1/models', apiKey, (c) => c.json({ object: 'list', data: models }));
  app.get('/v1/models/:model', apiKey, (c) => {
    const found = models.find((m) => m.id === c.req.param('model'));
    return found ? c.json(found) : openAiError(c, 404, `the model "${c.req.param('model').slice(0, 100)}" does not exist; GET /v1/models lists the models`, 'model_not_found', 'model');
  });

  const chatBody = jsonBody(chatCompletionRequestSchema, { maxBytes: JSON_BODY_LIMITS.chatCompletions, reply: replyOpenAiError });
  app.post('/v1/chat/completions', limited, apiKey, chatBody, async (c) => {
    // Only a valid request takes an answer slot; chatCompletions gives it back whichever way it ends.
    const release = await answers.enter();
    if (!release) return openAiError(c, 429, 'the server is busy; retry in a moment', 'busy');
    try {
      return await chatCompletions(c, runtime, c.var.body, release);
    } catch (error) {
      release();
      throw error;
    }
  });
}

/** Requests need `Authorization: Bearer <server.apiKey>` when one is configured. */
function requireApiKey(apiKey: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const given = bearerToken(c);
    if (apiKey && !(given && sameSecret(given, apiKey))) return openAiError(c, 401, 'invalid API key', 'invalid_api_key');
    await next();
    return undefined;
  };
}
