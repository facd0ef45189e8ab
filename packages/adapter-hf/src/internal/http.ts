import {
  AuthenticationError,
  BadInputError,
  errorFromException,
  errorFromHttpResponse,
  InvalidResponseError,
  ModelNotFoundError,
  parseJsonBody,
  ServerError,
  type CallTarget,
  type HttpFailure,
  type RagbridgeError,
} from '@ragbridge/core-interfaces';
import { HF_HUB_URL, isHuggingFaceUrl, rewriteHfUrl, type HfHosts } from './hf-hosts.js';

/** Backend-specific advice for the shared HTTP error mapping. */
export type ErrorHints = HttpFailure['hints'];

/** What the caller of a backend needs to map its failures. */
export interface ErrorScope {
  target: CallTarget;
  hints?: ErrorHints;
}

/** The fetch to use: the option, else the global one at call time (so tests can stub it). */
export function resolveFetch(custom: typeof fetch | undefined): typeof fetch {
  return custom ?? ((input, init) => globalThis.fetch(input, init));
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/** Reads a failed response and maps it to the typed error family (status, headers and body). */
async function httpFailure(response: Response, url: string, scope: ErrorScope): Promise<RagbridgeError> {
  const body = await response.text().catch(() => undefined);
  return errorFromHttpResponse({
    ...scope.target,
    endpoint: url,
    status: response.status,
    headers: response.headers,
    ...(body !== undefined && { body }),
    ...(scope.hints && { hints: scope.hints }),
  });
}

/** The parts of a successful response that usage events report. */
export interface ResponseMeta {
  url: string;
  headers: Headers;
}

/** How {@link capturingFetch} shapes each request of the Hugging Face client. */
export interface HfRequestPolicy {
  /** Extra headers on every request, never replacing the client's own (Authorization, Content-Type). */
  headers?: Record<string, string> | undefined;
  /** Where the client's Hub and router URLs go (mirrors, gateways). @default Hugging Face's own */
  hosts?: HfHosts | undefined;
  /**
   * The token when it came from `HF_TOKEN` rather than the `token` option: it is withheld from
   * hosts that are not Hugging Face's.
   */
  environmentToken?: string | undefined;
  /** Called with the URL and headers of each successful response. */
  onSuccess?: ((meta: ResponseMeta) => void) | undefined;
}

/**
 * The one rule for where a token goes: Hugging Face hosts get the token; another host gets it only
 * when it is the router or endpoint the token was given for with the `token` option (never a Hub
 * mirror, never `HF_TOKEN`).
 */
function withholdToken(headers: Headers, finalUrl: string, hubRequest: boolean, environmentToken: string | undefined): void {
  if (isHuggingFaceUrl(finalUrl)) return;
  const auth = headers.get('authorization');
  if (auth === null) return;
  if (hubRequest || (environmentToken !== undefined && auth === `Bearer ${environmentToken}`)) headers.delete('authorization');
}

/**
 * Wraps the `fetch` handed to `@huggingface/inference`. The client hides response headers and
 * re-words failures, so failures are mapped here, where status, `Retry-After`, `x-request-id`
 * and the body are still visible; the thrown error passes through the client untouched. This
 * also means a 503 never reaches the client's own retry loop. It also sends the client's Hub and
 * router URLs to the configured hosts, adds extra headers, and keeps tokens to their hosts.
 */
export function capturingFetch(base: typeof fetch, scope: ErrorScope, policy: HfRequestPolicy = {}): typeof fetch {
  return async (input, init) => {
    const requested = urlOf(input);
    const url = policy.hosts ? rewriteHfUrl(requested, policy.hosts) : requested;
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(policy.headers ?? {})) if (!headers.has(name)) headers.set(name, value);
    withholdToken(headers, url, requested.startsWith(`${HF_HUB_URL}/`), policy.environmentToken);
    const response = await base(url === requested && typeof input !== 'string' ? input : url, { ...init, headers });
    if (!response.ok) throw await httpFailure(response, url, scope);
    policy.onSuccess?.({ url, headers: response.headers });
    return response;
  };
}

/** A JSON HTTP call made without a vendor client (TEI). */
export interface JsonRequest extends ErrorScope {
  fetch: typeof fetch;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

/** A parsed JSON answer with its headers. */
export interface JsonResponse {
  data: unknown;
  headers: Headers;
}

/**
 * Sends a JSON request and parses the JSON answer. Failures surface as the typed error family:
 * HTTP errors through `errorFromHttpResponse`, transport failures, timeouts and aborts through
 * `errorFromException`, a body that is not JSON as `InvalidResponseError`.
 */
export async function requestJson(request: JsonRequest): Promise<JsonResponse> {
  const target = { ...request.target, endpoint: request.url };
  try {
    const response = await request.fetch(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(request.body !== undefined && { 'content-type': 'application/json' }),
        ...request.headers,
      },
      ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
      ...(request.signal && { signal: request.signal }),
    });
    if (!response.ok) throw await httpFailure(response, request.url, request);
    const text = await response.text();
    return { data: parseJsonBody(text, target), headers: response.headers };
  } catch (error) {
    throw errorFromException(error, target, request.signal);
  }
}

interface ClientHttpError {
  name: string;
  message: string;
  httpRequest?: { url?: string };
  httpResponse?: { status?: number; body?: unknown; requestId?: string };
}

const NOT_SERVED = /not supported for task|not been able to find inference provider|No Inference Provider available|closed-source/i;

/**
 * Maps what `@huggingface/inference` throws (after {@link capturingFetch} has mapped HTTP
 * failures) to the typed error family: its InputError / RoutingError / ProviderOutputError, a
 * non-event-stream answer to a stream request, errors sent inside a stream, and invalid JSON.
 */
export function errorFromHfClient(error: unknown, scope: ErrorScope, signal: AbortSignal | undefined): unknown {
  const { target, hints } = scope;
  return errorFromException(error, target, signal, (raw) => {
    const e = (typeof raw === 'object' && raw !== null ? raw : { name: 'Error', message: String(raw) }) as ClientHttpError;
    const message = e.message?.replace(/^Failed to perform inference:\s*/, '') ?? String(raw);
    if (e.name === 'InputError') {
      if (NOT_SERVED.test(message)) return new ModelNotFoundError({ ...target, cause: raw, message, ...(hints?.notFound && { hint: hints.notFound }) });
      return new BadInputError({ ...target, cause: raw, message });
    }
    if (e.name === 'RoutingError') {
      return new AuthenticationError({
        ...target,
        cause: raw,
        message,
        hint: 'The Inference Providers router needs a Hugging Face token (hf_…); a provider key works only with an explicit `provider`.',
      });
    }
    const status = e.httpResponse?.status;
    const body = e.httpResponse?.body;
    const endpoint = e.httpRequest?.url;
    const context = { ...target, cause: raw, message, ...(endpoint && { endpoint }) };
    // Not reached while every request goes through capturingFetch; kept in case the client fails a request itself.
    if ((e.name === 'ProviderApiError' || e.name === 'HubApiError') && status !== undefined && status >= 400) {
      return errorFromHttpResponse({
        ...target,
        ...(endpoint && { endpoint }),
        status,
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        ...(e.httpResponse?.requestId && { headers: { 'x-request-id': e.httpResponse.requestId } }),
        ...(hints && { hints }),
      });
    }
    if (e.name === 'ProviderApiError' && typeof body === 'object' && body !== null && 'error' in body) {
      // An error event inside an otherwise successful stream: the provider failed mid-answer.
      return new ServerError({ ...context, responseBody: JSON.stringify(body) });
    }
    if (raw instanceof SyntaxError) return new InvalidResponseError({ ...context, message: `The response is not valid JSON (${message})` });
    return new InvalidResponseError(context);
  });
}
