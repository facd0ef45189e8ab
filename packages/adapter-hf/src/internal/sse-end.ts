const DONE_LINE = /^data:\s?\[DONE\]\s*$/;
/** Enough of a line to tell `data: [DONE]` from anything else. */
const LINE_HEAD = 32;

/** Whether a server-sent event stream carried its `data: [DONE]` terminator. */
export interface SseEndWatch {
  /** A fetch whose successful responses are read through the watch. */
  fetch: typeof fetch;
  /** True once a `data: [DONE]` line went past. */
  readonly terminated: boolean;
}

/**
 * Wraps `base` so that the body of a successful response is watched for the `data: [DONE]` line
 * that ends an OpenAI-style stream. `@huggingface/inference` ends its iteration the same way
 * whether it read `[DONE]` or the connection simply closed (old TGI sent no `[DONE]`), so this is
 * where a stream cut after its last complete event is told apart from a finished one.
 */
export function watchSseEnd(base: typeof fetch): SseEndWatch {
  let terminated = false;
  const wrapped: typeof fetch = async (input, init) => {
    const response = await base(input, init);
    if (!response.ok || !response.body) return response;
    const decoder = new TextDecoder();
    let line = '';
    const see = (text: string): void => {
      const lines = text.split(/\r\n|\r|\n/);
      for (let i = 0; i < lines.length; i++) {
        line = (line + (lines[i] ?? '')).slice(0, LINE_HEAD);
        if (i < lines.length - 1) {
          if (DONE_LINE.test(line)) terminated = true;
          line = '';
        }
      }
    };
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          see(decoder.decode(chunk, { stream: true }));
          controller.enqueue(chunk);
        },
        flush() {
          see(decoder.decode());
          if (DONE_LINE.test(line)) terminated = true;
        },
      }),
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return {
    fetch: wrapped,
    get terminated() {
      return terminated;
    },
  };
}
