import type { Hono } from 'hono';
import type { AppContext } from '../app-context.js';
import { chatCompletions } from '../openai.js';

/** The OpenAI-compatible chat completions endpoint. */
export function registerOpenAiRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, answers, limited } = ctx;
  const names = async (): Promise<(id: string) => string> => (await ctx.documentLookup()).name;
  app.post('/v1/chat/completions', limited, async (c) => {
    const apiKey = runtime.config.server.apiKey;
    if (apiKey && c.req.header('authorization') !== `Bearer ${apiKey}`)
      return c.json(
        {
          error: {
            message: 'invalid API key',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        },
        401
      );
    const release = await answers.enter();
    if (!release)
      return c.json(
        {
          error: {
            message: 'the server is busy; retry in a moment',
            type: 'server_error',
            code: 'busy',
          },
        },
        429
      );
    return chatCompletions(c, runtime, await names(), release);
  });
}
