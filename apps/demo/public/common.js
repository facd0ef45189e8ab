/**
 * Helpers shared by the demo pages (index.html and viewer.html): building DOM nodes without
 * innerHTML, calling the JSON API, parsing server-sent events and formatting numbers for people.
 *
 * Everything the API returns is inserted as text (element.append(string) creates text nodes),
 * never parsed as HTML.
 */

/**
 * Creates an element. `props` become attributes, except `className`, `dataset` and `on<event>`
 * handlers; null, undefined and false props are skipped. Children are nodes or strings (as text).
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | number | null | undefined | false | Array<Node | string>)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'className') el.className = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Shows `text` in a message element (an error or a notice), or hides the element when empty. */
export function showMessage(el, text) {
  el.textContent = text ?? '';
  el.hidden = !text;
}

/** An HTTP error from the API, with the `{ error: { code, message } }` body it sent. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string | undefined} code
   * @param {string} message
   * @param {number | undefined} retryAfterSeconds
   */
  constructor(status, code, message, retryAfterSeconds) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Reads a failed response into an {@link ApiError}; tolerates bodies that are not JSON. */
export async function readError(res) {
  let code;
  let message;
  try {
    const body = await res.json();
    code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
    message = typeof body?.error?.message === 'string' ? body.error.message : typeof body?.message === 'string' ? body.message : undefined;
  } catch {
    // Not JSON (a proxy's HTML page, say): fall back to the status line.
  }
  const retryAfter = Number(res.headers.get('Retry-After'));
  return new ApiError(
    res.status,
    code,
    message || `${res.status} ${res.statusText || 'request failed'}`,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/** GETs (or sends `init`) and parses JSON; throws {@link ApiError} on a non-2xx status. */
export async function getJson(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { Accept: 'application/json', ...init.headers } });
  if (!res.ok) throw await readError(res);
  return res.json();
}

/** A sentence for a failed call: the server's message with its status, or a network hint. */
export function describeError(err) {
  if (err instanceof ApiError) {
    const first = err.message.charAt(0).toUpperCase() + err.message.slice(1);
    const status = err.code ? `${err.status}, ${err.code}` : String(err.status);
    const retry = err.retryAfterSeconds ? ` Try again in ${err.retryAfterSeconds} s.` : '';
    return `${first} (${status}).${retry}`;
  }
  // fetch() rejects with a TypeError when the server cannot be reached at all.
  if (err instanceof TypeError) return 'Could not reach the server. Check the connection and try again.';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Link to the viewer on a page, or on a section (`anchor`, for HTML and Markdown), highlighting
 * the words of `question` when given.
 */
export function viewerUrl(docId, page, question, anchor, cite) {
  let url = `/viewer.html?doc=${encodeURIComponent(docId)}&page=${encodeURIComponent(String(page ?? 1))}`;
  if (anchor) url += `&section=${encodeURIComponent(anchor)}`;
  if (question) url += `&q=${encodeURIComponent(question)}`;
  // The cited sentence, highlighted on the rendered page (the viewer matches it on letters and digits).
  if (cite) url += `&cite=${encodeURIComponent(String(cite).slice(0, 600))}`;
  return url;
}

/** Shortens `text` to `max` characters with an ellipsis (section titles can be whole function signatures). */
export function shorten(text, max = 60) {
  const value = String(text ?? '');
  return value.length > max ? `${value.slice(0, max - 1).trimEnd()}…` : value;
}

/**
 * Where a source or citation points, for people: `§ 20.4.1. Memory` for a section, `p. iv`
 * for a page, nothing for a document without pages or sections.
 */
export function whereLabel(item) {
  if (item.citedBy === 'section' && item.section) return `§ ${item.section}`;
  if (item.citedBy === 'document') return '';
  return `p. ${item.label ?? String(item.page ?? 1)}`;
}

const integerFormat = new Intl.NumberFormat('en-US');

/** 1234 → "1,234"; anything that is not a number → "—". */
export function formatCount(value) {
  return typeof value === 'number' && Number.isFinite(value) ? integerFormat.format(value) : '—';
}

/**
 * Dollars with enough digits to see per-call costs: $0.000123, $0.0120, $12.50.
 */
export function formatUsd(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (value === 0) return '$0';
  const options = Math.abs(value) >= 0.01 ? { minimumFractionDigits: 2, maximumFractionDigits: 4 } : { maximumSignificantDigits: 3 };
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', ...options }).format(value);
}

/** Milliseconds for people: "4.2 ms", "845 ms", "12.3 s". */
export function formatMs(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 10) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

/** Bytes for people: "812 B", "14.2 KB", "3.1 MB". */
export function formatBytes(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (value < 1024) return `${value} B`;
  const units = ['KB', 'MB', 'GB'];
  let size = value / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(size >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** A Date from epoch milliseconds or an ISO string; undefined when it cannot be read. */
export function toDate(value) {
  if (value === null || value === undefined || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** "1 page", "3 pages". */
export function plural(count, one, many = `${one}s`) {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/**
 * Incremental parser for a `text/event-stream` body (the WHATWG event stream format): feed it
 * decoded text in chunks of any size; it calls `onEvent(type, data)` once per complete event.
 * Only `event:` and `data:` matter here (`id:`, `retry:` and `:` comments are ignored).
 * @param {(type: string, data: string) => void} onEvent
 */
export function createSseParser(onEvent) {
  let buffer = '';
  let type = '';
  /** @type {string[]} */
  let data = [];

  const dispatch = () => {
    if (data.length) onEvent(type || 'message', data.join('\n'));
    type = '';
    data = [];
  };
  const handleLine = (line) => {
    if (line === '') return dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  };

  return {
    /** @param {string} chunk */
    push(chunk) {
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== '\n' && c !== '\r') continue;
        // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
        if (c === '\r' && i === buffer.length - 1) break;
        handleLine(buffer.slice(start, i));
        if (c === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    /** Flushes the last event when the stream ends without a blank line (lenient). */
    end() {
      if (buffer) handleLine(buffer.replace(/\r$/, ''));
      buffer = '';
      dispatch();
    },
  };
}
