import { randomUUID } from 'node:crypto';
import type { Answer } from '@ragbridge/core-interfaces';
import type { Runtime } from '@ragbridge/runtime';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

interface OpenAiMessage {
  role: string;
  content: unknown;
}

/** The text of a message's content: a string, or the text parts of an array of parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' ? String((p as { text?: unknown }).text ?? '') : '')).join('');
  return '';
}

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

function openAiError(c: Context, status: 400 | 401 | 429 | 500, message: string, code: string): Response {
  return c.json(
    {
      error: {
        message,
        type: status === 500 ? 'server_error' : 'invalid_request_error',
        code,
      },
    },
    status
  );
}

/**
 * `POST /v1/chat/completions`: the last user message is the question; the reply is the cited
 * answer (with a Sources footer), streamed as `chat.completion.chunk` events when `stream` is
 * true. Earlier messages are ignored: each question is answered from the documents alone.
 */
export async function chatCompletions(c: Context, runtime: Runtime, _documentName: (id: string) => string, release: () => void): Promise<Response> {
  let body: { messages?: unknown; stream?: unknown; model?: unknown };
  try {
    body = await c.req.json();
  } catch {
    release();
    return openAiError(c, 400, 'the body must be JSON', 'invalid_json');
  }
  const messages = Array.isArray(body.messages) ? (body.messages as OpenAiMessage[]) : [];
  const question = textOf([...messages].reverse().find((m) => m && m.role === 'user')?.content).trim();
  if (!question) {
    release();
    return openAiError(c, 400, 'messages must include a user message with text', 'invalid_messages');
  }
  if (question.length > 2000) {
    release();
    return openAiError(c, 400, 'the question is limited to 2,000 characters', 'too_long');
  }
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = typeof body.model === 'string' && body.model ? body.model : 'ragbridge';
  const usageOf = (answer: Answer) => {
    const prompt = answer.usage.filter((u) => u.operation === 'chat').reduce((n, u) => n + u.inputTokens, 0);
    const completion = answer.usage.filter((u) => u.operation === 'chat').reduce((n, u) => n + u.outputTokens, 0);
    return {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    };
  };

  if (body.stream !== true) {
    try {
      const { answer } = await runtime.pipeline.ask(question);
      return c.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: answer.text + sourcesFooter(answer),
            },
            finish_reason: 'stop',
          },
        ],
        usage: usageOf(answer),
      });
    } catch {
      return openAiError(c, 500, 'the question could not be answered', 'answer_failed');
    } finally {
      release();
    }
  }

  return streamSSE(c, async (stream) => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      stream.writeSSE({
        data: JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        }),
      });
    const abort = new AbortController();
    stream.onAbort(() => abort.abort());
    try {
      await chunk({ role: 'assistant', content: '' });
      {
        let streamed = false;
        for await (const part of runtime.pipeline.askStream(question, {
          abortSignal: abort.signal,
        })) {
          if (part.type === 'text-delta') {
            streamed = true;
            await chunk({ content: part.delta });
          } else if (part.type === 'answer') {
            // Extractive answers arrive whole; a generated one was streamed and only gets the footer.
            await chunk({
              content: (streamed ? '' : part.answer.text) + sourcesFooter(part.answer),
            });
          }
        }
      }
      await chunk({}, 'stop');
      await stream.writeSSE({ data: '[DONE]' });
    } catch {
      if (!abort.signal.aborted)
        await stream.writeSSE({
          data: JSON.stringify({
            error: {
              message: 'the question could not be answered',
              type: 'server_error',
            },
          }),
        });
    } finally {
      release();
    }
  });
}
