import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';

/** Largest JSON body of each route, in bytes: checked before anything is parsed. */
export const JSON_BODY_LIMITS = {
  /** A question is at most 2,000 characters. */
  ask: 64 * 1024,
  /** Chat clients send the whole conversation (only the last user message is read). */
  chatCompletions: 1024 * 1024,
  budgets: 64 * 1024,
} as const;

/** Longest question, in characters (after trimming). */
export const MAX_QUESTION_CHARS = 2000;

/** `POST /api/ask`. */
export const askRequestSchema = z.strictObject({
  question: z
    .string()
    .trim()
    .min(1, 'must be a non-empty string')
    .max(MAX_QUESTION_CHARS, 'questions are limited to 2,000 characters'),
  /** Sources retrieved. @default 5 */
  k: z.number().int().min(1).max(20).default(5),
  /** Earlier turns of the conversation, oldest first: a follow-up is retrieved with the previous question. */
  history: z
    .array(z.strictObject({ question: z.string().max(MAX_QUESTION_CHARS), answer: z.string().max(8000).optional() }))
    .max(10)
    .optional(),
});

/** A validated question: trimmed, with `k` filled in. */
export type AskRequest = z.output<typeof askRequestSchema>;

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const chatMessage = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
});

/** The text of a message's content: a string, or the text parts of an array of parts. */
function textOf(content: z.output<typeof chatMessage>['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

/**
 * `POST /v1/chat/completions`: OpenAI's request, of which the last user message (the question),
 * `model`, `stream`, `stream_options.include_usage` and `max_completion_tokens` (or the older
 * `max_tokens`) are read; other fields are accepted and ignored.
 */
export const chatCompletionRequestSchema = z
  .looseObject({
    model: z.string().nullish(),
    messages: z.array(chatMessage).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    max_tokens: z.number().int().positive().nullish(),
  })
  .transform((body, ctx) => {
    const last = body.messages.findLastIndex((m) => m.role === 'user');
    const question = last < 0 ? '' : textOf(body.messages[last]?.content).trim();
    if (!question) ctx.addIssue({ code: 'custom', path: ['messages'], message: 'must include a user message with text' });
    else if (question.length > MAX_QUESTION_CHARS) ctx.addIssue({ code: 'custom', path: ['messages'], message: 'the question is limited to 2,000 characters' });
    const history = conversationBefore(body.messages.slice(0, Math.max(0, last)));
    return {
      question,
      ...(history.length > 0 && { history }),
      model: body.model || undefined,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      // The answer's limit; the profile's (and the client's) limits still apply.
      ...((body.max_completion_tokens ?? body.max_tokens) && { maxTokens: (body.max_completion_tokens ?? body.max_tokens) as number }),
    };
  });

/** Turns of a conversation kept for a follow-up (the pipeline uses the last for retrieval, a chat model the last three). */
const MAX_HISTORY_TURNS = 3;

/** The earlier user messages of a chat, each with the assistant's reply after it: the turns a follow-up question continues. */
function conversationBefore(messages: ReadonlyArray<z.output<typeof chatMessage>>): Array<{ question: string; answer?: string }> {
  const turns: Array<{ question: string; answer?: string }> = [];
  for (const message of messages) {
    const text = textOf(message.content).trim();
    if (!text) continue;
    if (message.role === 'user') turns.push({ question: text.slice(0, MAX_QUESTION_CHARS) });
    else if (message.role === 'assistant' && turns.length > 0) {
      const turn = turns[turns.length - 1] as { question: string; answer?: string };
      turn.answer = text.slice(0, 4_000);
    }
  }
  return turns.slice(-MAX_HISTORY_TURNS);
}

/** A validated chat completion request: the question, and how to answer it. */
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;

/** `PUT /api/budgets`: the rules themselves are the cost monitor's to validate. */
export const budgetsRequestSchema = z.strictObject({ budgets: z.array(z.unknown()) });

/** Answers a refused request in the route's own error format, naming the field when there is one. */
export type ErrorReply = (c: Context, status: 400 | 413 | 415, code: string, message: string, field?: string) => Response;

/** The first issues of a failed parse as `field: message`, and the first issue's field. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): { message: string; field: string } {
  const fieldOf = (issue: z.core.$ZodIssue): string => [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'body';
  const message = issues
    .slice(0, 5)
    .map((issue) => `${fieldOf(issue)}: ${issue.message}`)
    .join('; ');
  return { message, field: issues[0] ? fieldOf(issues[0]) : 'body' };
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(?:;|$)/i.test(contentType?.trim() ?? '');
}

/**
 * A JSON body checked in order, before the handler runs: `application/json` (415 otherwise, so
 * no cross-site form can send it), at most `maxBytes` (413, counted while reading when there is
 * no Content-Length), JSON (400), then the schema (400 naming the field). The handler reads the
 * parsed value as `c.var.body`.
 */
export function jsonBody<S extends z.ZodType>(schema: S, options: { maxBytes: number; reply: ErrorReply }): MiddlewareHandler<{ Variables: { body: z.output<S> } }> {
  const { maxBytes, reply } = options;
  const tooLarge = (c: Context) => reply(c, 413, 'too_large', `the body is limited to ${Math.round(maxBytes / 1024)} KB`);
  const limit = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    if (!isJson(c.req.header('content-type'))) return reply(c, 415, 'unsupported_media_type', 'send the body as application/json');
    // The limit passes the request on (buffered when it had no Content-Length) or answers 413.
    let withinLimit = false;
    await limit(c, async () => {
      withinLimit = true;
    });
    if (!withinLimit) return tooLarge(c);
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      return reply(c, 400, 'invalid_json', 'the body is not valid JSON');
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const { message, field } = describeIssues(parsed.error.issues);
      return reply(c, 400, 'invalid_request', message, field);
    }
    c.set('body', parsed.data);
    await next();
    return undefined;
  };
}
