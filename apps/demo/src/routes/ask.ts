import { BudgetExceededError, isAbortError, type Answer } from '@ragbridge/core-interfaces';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppContext } from '../app-context.js';
import { answerView, servedBy, sourceView } from '../ask-events.js';
import { errorBody, replyError } from '../guards.js';
import { askRequestSchema, JSON_BODY_LIMITS, jsonBody, type AskRequest } from '../request-schemas.js';
import { usageReport } from '../usage.js';

/** Questions from the web UI (answers streamed as server-sent events) and the usage report. */
export function registerAskRoutes(app: Hono, ctx: AppContext): void {
  const { runtime, settings, answers, limited } = ctx;
  const askBody = jsonBody(askRequestSchema, { maxBytes: JSON_BODY_LIMITS.ask, reply: replyError });

  app.post('/api/ask', limited, askBody, async (c) => {
    // Only a valid request takes an answer slot; every path below gives it back.
    const release = await answers.enter();
    if (!release) {
      c.header('Retry-After', '1');
      return c.json(errorBody('busy', `the server is answering ${settings.maxConcurrentRequests} questions and more are waiting; retry in a moment`), 429);
    }
    try {
      return streamAnswer(ctx, c, c.var.body, release);
    } catch (error) {
      release();
      throw error;
    }
  });

  app.get('/api/usage', async (c) => {
    const days = Math.min(90, Math.max(1, Number(c.req.query('days') ?? 14) || 14));
    return c.json(await usageReport(runtime.monitor, days));
  });
}

/** The answer as server-sent events: retrieval, deltas, the answer, meta, done (or error); releases the slot when it ends. */
function streamAnswer(ctx: AppContext, c: Context, input: AskRequest, release: () => void): Response {
  const { runtime, documentLookup } = ctx;
  return streamSSE(c, async (stream) => {
    const abort = new AbortController();
    stream.onAbort(() => abort.abort());
    const t0 = performance.now();
    let retrieveMs = 0;
    let finalAnswer: Answer | undefined;
    try {
      const documents = await documentLookup();
      // The runtime's pipeline tracks each question as one query in the cost monitor.
      for await (const part of runtime.pipeline.askStream(input.question, {
        k: input.k,
        ...(input.history && { history: input.history }),
        abortSignal: abort.signal,
        // The sources panel shows which signals put each passage where it is.
        explain: true,
      })) {
        if (part.type === 'retrieval') {
          retrieveMs = performance.now() - t0;
          await stream.writeSSE({
            event: 'retrieval',
            data: JSON.stringify({
              sources: part.retrieval.hits.map((h, i) => sourceView(h, i + 1, documents.name, documents.paged)),
            }),
          });
        } else if (part.type === 'text-delta') {
          await stream.writeSSE({
            event: 'delta',
            data: JSON.stringify({ text: part.delta }),
          });
        } else {
          finalAnswer = part.answer;
          await stream.writeSSE({
            event: 'answer',
            data: JSON.stringify(answerView(part.answer, documents.name, documents.paged)),
          });
        }
      }
      if (finalAnswer) {
        // Usage events come back priced by the cost monitor (null where no price is known).
        const served = servedBy(finalAnswer.usage);
        const total = performance.now() - t0;
        await stream.writeSSE({
          event: 'meta',
          data: JSON.stringify({
            ...served,
            timings: {
              retrieve: round(retrieveMs),
              answer: round(total - retrieveMs),
              total: round(total),
            },
          }),
        });
      }
      await stream.writeSSE({ event: 'done', data: '{}' });
    } catch (error) {
      if (!abort.signal.aborted) {
        console.error(`[demo] ask failed: ${error instanceof Error ? error.name : 'Error'}`);
        await stream.writeSSE({
          event: 'error',
          data: JSON.stringify({ message: publicMessage(error) }),
        });
      }
    } finally {
      release();
    }
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** An error message fit for a browser: typed model errors say what failed, nothing internal. */
export function publicMessage(error: unknown): string {
  if (BudgetExceededError.isInstance(error)) return 'the usage budget is spent; answers are blocked until it resets';
  if (isAbortError(error)) return 'the request was cancelled';
  return 'the question could not be answered; try again';
}
