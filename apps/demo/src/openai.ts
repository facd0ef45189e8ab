import { randomUUID } from 'node:crypto';
import type { Answer } from '@ragbridge/core-interfaces';
import type { Runtime } from '@ragbridge/runtime';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChatCompletionRequest, ErrorReply } from './request-schemas.js';

/** A client of the endpoint, named by its API key (`server.clients`). */
export interface ApiClient {
  id: string;
  /** Longest answer it may get, in tokens. */
  maxOutputTokens?: number;
}

/** Why a client may not ask now: a `block` budget of its own is spent (undefined when none is). */
export function spentBudget(runtime: Runtime, clientId: string): string | undefined {
  const spent = runtime.monitor.budgets().find((b) => b.caller === clientId && b.mode === 'block' && b.exhausted);
  if (!spent) return undefined;
  return `the ${spent.window === 'day' ? 'daily' : 'monthly'} budget of this API key is spent; it resets at ${new Date(spent.windowEnd).toISOString()}`;
}

/** The model id the OpenAI-compatible endpoint serves (and names in replies when a request names none). */
export const OPENAI_MODEL_ID = 'ragbridge';

/**
 * "Sources: [1] file.pdf, p. 12" (or "[2] page.html § Title (#anchor)" for a section) lines
 * appended to the answer, so plain chat clients see citations.
 */
function sourcesFooter(answer: Answer): string {
  if (answer.citations.length === 0) return '';
  const lines = answer.citations.map((c) =>
    c.section ? `[${c.index}] ${c.docName} § ${c.section.title}${c.section.anchor ? ` (#${c.section.anchor})` : ''}` : `[${c.index}] ${c.docName}, p. ${c.pageLabel}`,
  );
  return `\n\nSources:\n${lines.join('\n')}`;
}

/** An error in OpenAI's shape: `{ error: { message, type, param, code } }`. */
export function openAiError(c: Context, status: 400 | 401 | 404 | 413 | 415 | 429 | 500, message: string, code: string, param: string | null = null): Response {
  return c.json({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param, code } }, status);
}

/** Refused request bodies in OpenAI's error shape, `param` naming the field. */
export const replyOpenAiError: ErrorReply = (c, status, code, message, field) => openAiError(c, status, message, code, field ?? null);

/** Token counts of the answer's chat calls, as OpenAI's `usage`. */
function usageOf(answer: Answer | undefined): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const chat = (answer?.usage ?? []).filter((u) => u.operation === 'chat');
  const prompt = chat.reduce((n, u) => n + u.inputTokens, 0);
  const completion = chat.reduce((n, u) => n + u.outputTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * `POST /v1/chat/completions` over a validated request: the last user message is the question;
 * the reply is the cited answer (with a Sources footer), streamed as `chat.completion.chunk`
 * events when `stream` is true (with a last `usage` chunk when `stream_options.include_usage`).
 * Earlier messages are ignored: each question is answered from the documents alone. `release`
 * is called once the answer ends, whichever way.
 */
export async function chatCompletions(c: Context, runtime: Runtime, request: ChatCompletionRequest, release: () => void, client?: ApiClient): Promise<Response> {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = request.model ?? OPENAI_MODEL_ID;
  // The request's and the client's limits, the lower one; the profile's own limit caps both.
  const limits = [request.maxTokens, client?.maxOutputTokens].filter((n): n is number => n !== undefined);
  const askOptions = { ...(request.history && { history: request.history }), ...(limits.length > 0 && { maxTokens: Math.min(...limits) }) };
  // A client's calls carry its id in the ledger and count against its budgets.
  const asClient = <T>(fn: () => Promise<T>): Promise<T> => (client ? runtime.monitor.asCaller(client.id, fn) : fn());

  if (!request.stream) {
    try {
      const { answer } = await asClient(() => runtime.pipeline.ask(request.question, askOptions));
      return c.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer.text + sourcesFooter(answer) }, finish_reason: 'stop' }],
        usage: usageOf(answer),
      });
    } catch {
      return openAiError(c, 500, 'the question could not be answered', 'answer_failed');
    } finally {
      release();
    }
  }

  return streamSSE(c, async (stream) => {
    // With include_usage, OpenAI sends `usage: null` on every chunk and the totals on a last one.
    const usageField = request.includeUsage ? { usage: null } : {};
    const send = (choices: unknown[], extra: Record<string, unknown> = usageField) =>
      stream.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra }) });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => send([{ index: 0, delta, finish_reason: finish }]);
    const abort = new AbortController();
    stream.onAbort(() => abort.abort());
    try {
      await chunk({ role: 'assistant', content: '' });
      let answer: Answer | undefined;
      await asClient(async () => {
        let streamed = false;
        for await (const part of runtime.pipeline.askStream(request.question, { abortSignal: abort.signal, ...askOptions })) {
          if (part.type === 'text-delta') {
            streamed = true;
            await chunk({ content: part.delta });
          } else if (part.type === 'answer') {
            answer = part.answer;
            // Extractive answers arrive whole; a generated one was streamed and only gets the footer;
            // one that broke off after it began is followed by the extractive answer, labelled.
            const body = part.answer.interrupted
              ? `\n\n(The model's answer broke off: ${part.answer.interrupted.reason}. Quoted from the sources instead:)\n${part.answer.text}`
              : streamed
                ? ''
                : part.answer.text;
            await chunk({ content: body + sourcesFooter(part.answer) });
          }
        }
      });
      await chunk({}, 'stop');
      if (request.includeUsage) await send([], { usage: usageOf(answer) });
      await stream.writeSSE({ data: '[DONE]' });
    } catch {
      if (!abort.signal.aborted) await stream.writeSSE({ data: JSON.stringify({ error: { message: 'the question could not be answered', type: 'server_error' } }) });
    } finally {
      release();
    }
  });
}
