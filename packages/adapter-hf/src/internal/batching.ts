/** Server limits one request must stay within. */
export interface RequestLimits {
  /** Most items per request (TEI `max_client_batch_size`). */
  maxItems: number;
  /** Most (estimated) tokens per request (TEI `max_batch_tokens`). */
  maxTokens: number;
  /** Most bytes of JSON body per request (TEI `--payload-limit`). */
  maxBytes: number;
}

/** What one item adds to a request. */
export interface ItemCost {
  tokens: number;
  /** Bytes of the item inside the JSON body, without the separating comma. */
  bytes: number;
}

/** Bytes a value takes in a UTF-8 JSON body (JSON.stringify never emits lone surrogates). */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Splits items, in order, into consecutive groups `[start, end)` that respect every limit;
 * `baseBytes` is the size of the request body with no items. An item that alone exceeds a limit
 * still gets a group of its own (callers shrink oversized items beforehand).
 */
export function planRequests(items: readonly ItemCost[], limits: RequestLimits, baseBytes: number): Array<[number, number]> {
  const groups: Array<[number, number]> = [];
  let start = 0;
  let tokens = 0;
  let bytes = baseBytes;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ItemCost;
    const count = i - start;
    const addedBytes = item.bytes + (count > 0 ? 1 : 0);
    if (count > 0 && (count + 1 > limits.maxItems || tokens + item.tokens > limits.maxTokens || bytes + addedBytes > limits.maxBytes)) {
      groups.push([start, i]);
      start = i;
      tokens = 0;
      bytes = baseBytes;
    }
    tokens += item.tokens;
    bytes += item.bytes + (i > start ? 1 : 0);
  }
  if (items.length > start) groups.push([start, items.length]);
  return groups;
}

/**
 * Cuts `text` so that its JSON encoding takes at most `maxBytes` bytes, keeping the start
 * (`keep: 'start'`) or the end, and never splitting a surrogate pair.
 */
export function cutToJsonBytes(text: string, maxBytes: number, keep: 'start' | 'end'): string {
  let out = text;
  let size = jsonBytes(out);
  while (size > maxBytes && out.length > 0) {
    let length = Math.max(0, Math.min(out.length - 1, Math.floor((out.length * maxBytes) / size) - 1));
    if (keep === 'start') {
      if (length > 0 && /[\uD800-\uDBFF]/.test(out.charAt(length - 1))) length--;
      out = out.slice(0, length);
    } else {
      let from = out.length - length;
      if (from < out.length && /[\uDC00-\uDFFF]/.test(out.charAt(from))) from++;
      out = out.slice(from);
    }
    size = jsonBytes(out);
  }
  return out;
}

/**
 * Runs `task` for every group with at most `concurrency` running at once and returns the
 * results in group order. The first failure aborts the others (through the signal each task
 * gets) and is what the returned promise rejects with; a caller's abort reaches every task.
 */
export async function runInOrder<G, R>(
  groups: readonly G[],
  concurrency: number,
  signal: AbortSignal | undefined,
  task: (group: G, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const controller = new AbortController();
  const shared = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  const results = new Array<R>(groups.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < groups.length) {
      const index = next++;
      try {
        results[index] = await task(groups[index] as G, shared);
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
          controller.abort(new DOMException('Another request of this call failed', 'AbortError'));
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, groups.length)) }, worker));
  if (failed) throw firstError;
  return results;
}
