import { createHash } from 'node:crypto';
import { composeGroundedReply, hashEmbedding, wordTokens } from '@ragbridge/core-interfaces/testing';
import type { ChatMessage } from '@ragbridge/core-interfaces';
import { FakeServer, type FakeContext, type FakeRoute, type FakeServerOptions } from './fake-server.js';
import { fakeTokenCount, limitReply, replyDeltas, truncateToTokens } from './fake-text.js';
import { TRANSPORT_FAULTS, type FaultPresets } from './fault-harness.js';

/** A model the fake Ollama has "pulled". */
export interface FakeOllamaModel {
  /** Model name with tag, e.g. `llama3.2:3b`; a name without tag means `:latest`. */
  name: string;
  /** `chat` models serve `/api/chat` and `/api/generate`; `embed` models serve `/api/embed` and `/api/embeddings`. */
  kind: 'chat' | 'embed';
  /** Embedding length. @default 768 for embed models, 3072 for chat models */
  dimensions?: number;
  /** Context length in tokens; longer prompts are truncated silently. @default 8192 */
  contextLength?: number;
  /** Architecture reported in `details.family` and `model_info`. @default 'llama' (chat) or 'bert' (embed) */
  family?: string;
  /** Reported in `details.parameter_size`. @default '3.2B' (chat) or '137M' (embed) */
  parameterSize?: string;
}

/** Options of {@link startFakeOllama}. */
export interface FakeOllamaOptions extends FakeServerOptions {
  /** The models that are pulled. @default {@link DEFAULT_OLLAMA_MODELS} */
  models?: FakeOllamaModel[];
}

/** The models a fake Ollama serves unless told otherwise. */
export const DEFAULT_OLLAMA_MODELS: readonly FakeOllamaModel[] = [
  { name: 'llama3.2:3b', kind: 'chat', contextLength: 8192, family: 'llama', parameterSize: '3.2B' },
  { name: 'nomic-embed-text:latest', kind: 'embed', dimensions: 768, contextLength: 2048, family: 'nomic-bert', parameterSize: '137M' },
  { name: 'all-minilm:latest', kind: 'embed', dimensions: 384, contextLength: 512, family: 'bert', parameterSize: '23M' },
];

/** Ollama (gin) sends every single JSON reply, errors included, with this content type. */
const JSON_TYPE = 'application/json; charset=utf-8';
const JSON_HEADERS = { 'content-type': JSON_TYPE };

/** For each conformance fault kind, the error body Ollama (or an auth proxy in front of it) sends. */
export const ollamaFaultPresets: FaultPresets = {
  auth: { status: 401, body: { error: 'unauthorized' }, headers: JSON_HEADERS },
  payment: { status: 402, body: { error: 'payment required' }, headers: JSON_HEADERS },
  'not-found': { status: 404, body: { error: "model 'llama3.2:3b' not found" }, headers: JSON_HEADERS },
  'bad-input': { status: 400, body: { error: 'invalid input type' }, headers: JSON_HEADERS },
  'rate-limit': { status: 429, body: { error: 'too many requests' }, headers: JSON_HEADERS },
  'rate-limit-retry-after': { status: 429, body: { error: 'too many requests' }, headers: { ...JSON_HEADERS, 'retry-after': '7' } },
  // Not something Ollama itself sends; the conformance suite needs a "loading, retry in 20 s" answer.
  loading: { status: 503, body: { error: 'Model llama3.2:3b is currently loading', estimated_time: 20.0 }, headers: JSON_HEADERS },
  'server-error': { status: 500, body: { error: 'llama runner process has terminated: exit status 2' }, headers: JSON_HEADERS },
  ...TRANSPORT_FAULTS,
};

const DEFAULT_CONTEXT_LENGTH = 8192;
/** `OLLAMA_KEEP_ALIVE` default: 5 minutes. */
const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;
/** What a negative keep_alive means: Go's maximum duration (about 292 years). */
const FOREVER_MS = 9_223_372_036_854;
const SERVER_VERSION = '0.12.0';

interface ResolvedModel {
  /** Canonical name, e.g. `all-minilm:latest`. */
  name: string;
  kind: 'chat' | 'embed';
  dimensions: number;
  contextLength: number;
  family: string;
  parameterSize: string;
  quantization: string;
  size: number;
  digest: string;
  modifiedAt: string;
}

interface LoadedModel {
  model: ResolvedModel;
  expiresAt: number;
  contextLength: number;
}

type Json = Record<string, unknown>;

/**
 * Canonical model name as Ollama resolves it: case-insensitive, the default registry and
 * `library/` namespace dropped, and `:latest` added when there is no tag.
 */
function canonicalName(name: string): string {
  let n = name.trim().toLowerCase();
  n = n.replace(/^(https?:\/\/)?registry\.ollama\.ai\//, '').replace(/^library\//, '');
  const lastSlash = n.lastIndexOf('/');
  if (!n.slice(lastSlash + 1).includes(':')) n += ':latest';
  return n;
}

function parseParameterCount(size: string): number {
  const match = /^([\d.]+)\s*([KMBT]?)/i.exec(size);
  if (!match) return 1e9;
  const scale: Record<string, number> = { '': 1, K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
  return Number(match[1]) * (scale[(match[2] ?? '').toUpperCase()] ?? 1);
}

function resolveModel(model: FakeOllamaModel, index: number): ResolvedModel {
  const name = canonicalName(model.name);
  const chat = model.kind === 'chat';
  const parameterSize = model.parameterSize ?? (chat ? '3.2B' : '137M');
  // Q4_K_M chat weights take about 0.6 bytes a parameter; F16 embedding weights 2.
  const size = Math.round(parseParameterCount(parameterSize) * (chat ? 0.63 : 2));
  return {
    name,
    kind: model.kind,
    dimensions: model.dimensions ?? (chat ? 3072 : 768),
    contextLength: model.contextLength ?? DEFAULT_CONTEXT_LENGTH,
    family: model.family ?? (chat ? 'llama' : 'bert'),
    parameterSize,
    quantization: chat ? 'Q4_K_M' : 'F16',
    size,
    digest: createHash('sha256').update(`fake-ollama:${name}`).digest('hex'),
    // Distinct, stable times so /api/tags has a defined order (most recent first).
    modifiedAt: new Date(Date.UTC(2025, 8, 18, 10, 0, 0) - index * 3_600_000).toISOString(),
  };
}

function details(model: ResolvedModel): Json {
  return {
    parent_model: '',
    format: 'gguf',
    family: model.family,
    families: [model.family],
    parameter_size: model.parameterSize,
    quantization_level: model.quantization,
  };
}

/** Go's `time.ParseDuration` units, for `keep_alive` strings. */
const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** keep_alive in ms (a negative value keeps the model forever), or an error message as Ollama words it. */
function parseKeepAlive(value: unknown): number | { error: string } {
  if (value === undefined || value === null) return DEFAULT_KEEP_ALIVE_MS;
  if (typeof value === 'number') return value < 0 ? FOREVER_MS : value * 1000;
  if (typeof value !== 'string') return { error: `json: cannot unmarshal ${goKind(value)} into Go struct field .keep_alive of type api.Duration` };
  const text = value.trim();
  if (text === '0') return 0;
  const match = /^([-+]?)((?:\d+(?:\.\d*)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(text);
  if (!match) return { error: `time: invalid duration "${value}"` };
  let ms = 0;
  for (const part of (match[2] ?? '').matchAll(/(\d+(?:\.\d*)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(part[1]) * (DURATION_UNITS[part[2] ?? 's'] ?? 1000);
  return match[1] === '-' ? FOREVER_MS : ms;
}

function goKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'object' : typeof value === 'boolean' ? 'bool' : typeof value;
}

/** The message Go's JSON decoder gives for a body that is not JSON. */
function invalidJsonMessage(body: string): string {
  const first = body.trimStart()[0] ?? '';
  return first === '{' || first === '[' ? 'unexpected EOF' : `invalid character '${first}' looking for beginning of value`;
}

/** Deterministic token ids for `context` (the prompt and reply as the model saw them). */
function tokenIds(text: string): number[] {
  return wordTokens(text).map((word) => {
    let hash = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0;
    return hash % 128_256;
  });
}

/** Durations in ns, derived from token counts so they are stable and plausible. */
function metrics(promptTokens: number, evalTokens: number): Json {
  const loadDuration = 12_345_678;
  const promptEvalDuration = 250_000 * promptTokens;
  const evalDuration = 20_000_000 * evalTokens;
  const all: Json = {
    total_duration: loadDuration + promptEvalDuration + evalDuration + 1_000_000,
    load_duration: loadDuration,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: promptEvalDuration,
    eval_count: evalTokens,
    eval_duration: evalDuration,
  };
  // Ollama omits zero-valued metric fields.
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== 0));
}

/**
 * Starts a fake Ollama server speaking the REST API of Ollama 0.12: `/api/chat`, `/api/generate`,
 * `/api/embed`, `/api/embeddings`, `/api/tags`, `/api/show`, `/api/ps`, `/api/version`, `/api/pull`
 * and `/`, with Ollama's defaults (streaming unless `stream:false`, silent context truncation,
 * `:latest` for untagged names) and its error bodies.
 */
export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeServer> {
  const models = (options.models ?? DEFAULT_OLLAMA_MODELS).map(resolveModel);
  const byName = new Map(models.map((m) => [m.name, m]));
  const loaded = new Map<string, LoadedModel>();

  const find = (name: string): ResolvedModel | undefined => byName.get(canonicalName(name));
  const sendJson = (ctx: FakeContext, status: number, value: unknown): void => ctx.text(status, JSON.stringify(value), JSON_TYPE);
  const sendError = (ctx: FakeContext, status: number, message: string): void => sendJson(ctx, status, { error: message });

  /** The JSON object body, or undefined after answering 400 as Ollama does. */
  const readBody = (ctx: FakeContext): Json | undefined => {
    const { body, json } = ctx.request;
    if (body.trim() === '') {
      sendError(ctx, 400, 'missing request body');
      return undefined;
    }
    if (json === undefined) {
      sendError(ctx, 400, invalidJsonMessage(body));
      return undefined;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      sendError(ctx, 400, `json: cannot unmarshal ${goKind(json)} into Go value of type api.Request`);
      return undefined;
    }
    return json as Json;
  };

  /** Checks JSON field types the way Go's decoder would; sends 400 and returns false on a mismatch. */
  const checkTypes = (ctx: FakeContext, body: Json, struct: string, fields: Record<string, 'string' | 'bool' | 'number' | 'array' | 'object'>): boolean => {
    for (const [field, expected] of Object.entries(fields)) {
      const value = body[field];
      if (value === undefined || value === null) continue;
      if (goKind(value) !== expected) {
        const goType = { string: 'string', bool: 'bool', number: 'int', array: '[]api.Message', object: 'map[string]interface {}' }[expected];
        sendError(ctx, 400, `json: cannot unmarshal ${goKind(value)} into Go struct field ${struct}.${field} of type ${goType}`);
        return false;
      }
    }
    return true;
  };

  /** Marks a model as loaded (for /api/ps) until its keep_alive runs out; 0 unloads it. */
  const touch = (model: ResolvedModel, keepAliveMs: number, contextLength: number): void => {
    if (keepAliveMs === 0) loaded.delete(model.name);
    else loaded.set(model.name, { model, expiresAt: Date.now() + keepAliveMs, contextLength });
  };

  const optionsOf = (body: Json): Json => (body.options && typeof body.options === 'object' && !Array.isArray(body.options) ? (body.options as Json) : {});
  const numberOption = (opts: Json, key: string): number | undefined => (typeof opts[key] === 'number' ? (opts[key] as number) : undefined);

  /** Resolves the model of a generation request; sends the error and returns undefined when it cannot run. */
  const generationModel = (ctx: FakeContext, body: Json): { model: ResolvedModel; name: string; keepAliveMs: number } | undefined => {
    const name = typeof body.model === 'string' ? body.model : '';
    if (name.trim() === '') {
      sendError(ctx, 400, 'model is required');
      return undefined;
    }
    const model = find(name);
    if (!model) {
      sendError(ctx, 404, `model '${name}' not found`);
      return undefined;
    }
    const keepAlive = parseKeepAlive(body.keep_alive);
    if (typeof keepAlive !== 'number') {
      sendError(ctx, 400, keepAlive.error);
      return undefined;
    }
    return { model, name, keepAliveMs: keepAlive };
  };

  /** Everything after model resolution that chat and generate share: caps, think, tools. */
  const checkCapabilities = (ctx: FakeContext, body: Json, model: ResolvedModel, name: string, endpoint: 'chat' | 'generate'): boolean => {
    if (body.think !== undefined && body.think !== null && body.think !== false && body.think !== '') {
      sendError(ctx, 400, `"${name}" does not support thinking`);
      return false;
    }
    if (model.kind !== 'chat') {
      sendError(ctx, 400, `"${name}" does not support ${endpoint}`);
      return false;
    }
    if (endpoint === 'chat' && Array.isArray(body.tools) && body.tools.length > 0) {
      sendError(ctx, 400, `registry.ollama.ai/library/${model.name} does not support tools`);
      return false;
    }
    return true;
  };

  interface Generation {
    text: string;
    doneReason: 'stop' | 'length';
    promptTokens: number;
    evalTokens: number;
  }

  /** The reply to `messages` under `options.stop` and `options.num_predict`. */
  const generate = (messages: ChatMessage[], promptTokens: number, opts: Json): Generation => {
    let text = composeGroundedReply(messages);
    const stop = Array.isArray(opts.stop) ? opts.stop.filter((s): s is string => typeof s === 'string' && s !== '') : [];
    let cut = text.length;
    for (const sequence of stop) {
      const at = text.indexOf(sequence);
      if (at >= 0 && at < cut) cut = at;
    }
    text = text.slice(0, cut);
    const numPredict = numberOption(opts, 'num_predict');
    const limited = limitReply(text, numPredict === undefined || numPredict < 0 ? undefined : numPredict);
    return { text: limited.text, doneReason: limited.truncated ? 'length' : 'stop', promptTokens, evalTokens: limited.tokens };
  };

  /** Keeps system messages and the last message; drops the oldest others until the prompt fits (Ollama truncates silently). */
  const fitContext = (messages: ChatMessage[], contextLength: number): { kept: ChatMessage[]; tokens: number } => {
    const count = (list: ChatMessage[]): number => list.reduce((sum, m) => sum + fakeTokenCount(m.content), 0);
    const kept = [...messages];
    let tokens = count(kept);
    for (let i = 0; tokens > contextLength && i < kept.length - 1; ) {
      if (kept[i]?.role === 'system') {
        i++;
        continue;
      }
      kept.splice(i, 1);
      tokens = count(kept);
    }
    return { kept, tokens: Math.min(tokens, contextLength) };
  };

  const contextFor = (model: ResolvedModel, opts: Json): number => {
    const numCtx = numberOption(opts, 'num_ctx');
    return numCtx !== undefined && numCtx > 0 ? numCtx : model.contextLength;
  };

  const streams = (body: Json): boolean => body.stream !== false;

  const chat: FakeRoute = {
    name: 'ollama.chat',
    method: 'POST',
    pattern: '/api/chat',
    async handle(ctx) {
      const body = readBody(ctx);
      if (!body || !checkTypes(ctx, body, 'ChatRequest', { model: 'string', messages: 'array', stream: 'bool', options: 'object' })) return;
      const resolved = generationModel(ctx, body);
      if (!resolved) return;
      const { model, name, keepAliveMs } = resolved;
      const rawMessages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
      const messages: ChatMessage[] = [];
      for (const m of rawMessages) {
        const message = (m && typeof m === 'object' ? m : {}) as Json;
        if (message.content !== undefined && typeof message.content !== 'string') {
          sendError(ctx, 400, `json: cannot unmarshal ${goKind(message.content)} into Go struct field Message.messages.content of type string`);
          return;
        }
        messages.push({ role: (typeof message.role === 'string' ? message.role : 'user') as ChatMessage['role'], content: (message.content as string | undefined) ?? '' });
      }
      const opts = optionsOf(body);
      const createdAt = new Date().toISOString();
      if (messages.length === 0 && keepAliveMs === 0) {
        touch(model, 0, model.contextLength);
        sendJson(ctx, 200, { model: name, created_at: createdAt, message: { role: 'assistant', content: '' }, done: true, done_reason: 'unload' });
        return;
      }
      if (!checkCapabilities(ctx, body, model, name, 'chat')) return;
      const contextLength = contextFor(model, opts);
      touch(model, keepAliveMs, contextLength);
      if (messages.length === 0) {
        // A load request answers with one JSON object even when streaming was asked for.
        sendJson(ctx, 200, { model: name, created_at: createdAt, message: { role: 'assistant', content: '' }, done: true, done_reason: 'load' });
        return;
      }
      const { kept, tokens } = fitContext(messages, contextLength);
      const reply = generate(kept, tokens, opts);
      const final = {
        model: name,
        created_at: createdAt,
        message: { role: 'assistant', content: '' },
        done: true,
        done_reason: reply.doneReason,
        ...metrics(reply.promptTokens, reply.evalTokens),
      };
      if (!streams(body)) {
        sendJson(ctx, 200, { ...final, message: { role: 'assistant', content: reply.text } });
        return;
      }
      const chunks: unknown[] = replyDeltas(reply.text).map((delta) => ({
        model: name,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: delta },
        done: false,
      }));
      chunks.push({ ...final, created_at: new Date().toISOString() });
      await ctx.ndjson(chunks);
    },
  };

  const generateRoute: FakeRoute = {
    name: 'ollama.generate',
    method: 'POST',
    pattern: '/api/generate',
    async handle(ctx) {
      const body = readBody(ctx);
      if (!body || !checkTypes(ctx, body, 'GenerateRequest', { model: 'string', prompt: 'string', system: 'string', stream: 'bool', raw: 'bool', options: 'object' })) return;
      const resolved = generationModel(ctx, body);
      if (!resolved) return;
      const { model, name, keepAliveMs } = resolved;
      const prompt = typeof body.prompt === 'string' ? body.prompt : '';
      const system = typeof body.system === 'string' ? body.system : '';
      const opts = optionsOf(body);
      const createdAt = new Date().toISOString();
      if (prompt === '' && keepAliveMs === 0) {
        touch(model, 0, model.contextLength);
        sendJson(ctx, 200, { model: name, created_at: createdAt, response: '', done: true, done_reason: 'unload' });
        return;
      }
      if (!checkCapabilities(ctx, body, model, name, 'generate')) return;
      const contextLength = contextFor(model, opts);
      touch(model, keepAliveMs, contextLength);
      if (prompt === '') {
        sendJson(ctx, 200, { model: name, created_at: createdAt, response: '', done: true, done_reason: 'load' });
        return;
      }
      const messages: ChatMessage[] = [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user', content: prompt }];
      const promptTokens = Math.min(
        messages.reduce((sum, m) => sum + fakeTokenCount(m.content), 0),
        contextLength,
      );
      const reply = generate(messages, promptTokens, opts);
      const final: Json = {
        model: name,
        created_at: createdAt,
        response: '',
        done: true,
        done_reason: reply.doneReason,
        // Raw mode skips the template, and Ollama then sends no context.
        ...(body.raw === true ? {} : { context: tokenIds(`${system}\n${prompt}\n${reply.text}`) }),
        ...metrics(reply.promptTokens, reply.evalTokens),
      };
      if (!streams(body)) {
        sendJson(ctx, 200, { ...final, response: reply.text });
        return;
      }
      const chunks: unknown[] = replyDeltas(reply.text).map((delta) => ({ model: name, created_at: new Date().toISOString(), response: delta, done: false }));
      chunks.push({ ...final, created_at: new Date().toISOString() });
      await ctx.ndjson(chunks);
    },
  };

  /** Resolves an embedding model; sends the error and returns undefined when it cannot embed. */
  const embeddingModel = (ctx: FakeContext, body: Json, notFound: (name: string) => string): { model: ResolvedModel; name: string; keepAliveMs: number } | undefined => {
    const name = typeof body.model === 'string' ? body.model : '';
    if (name.trim() === '') {
      sendError(ctx, 400, 'model is required');
      return undefined;
    }
    const model = find(name);
    if (!model) {
      sendError(ctx, 404, notFound(name));
      return undefined;
    }
    if (model.kind !== 'embed') {
      sendError(ctx, 400, `"${name}" does not support embeddings`);
      return undefined;
    }
    const keepAlive = parseKeepAlive(body.keep_alive);
    if (typeof keepAlive !== 'number') {
      sendError(ctx, 400, keepAlive.error);
      return undefined;
    }
    return { model, name, keepAliveMs: keepAlive };
  };

  const embed: FakeRoute = {
    name: 'ollama.embed',
    method: 'POST',
    pattern: '/api/embed',
    handle(ctx) {
      const body = readBody(ctx);
      if (!body || !checkTypes(ctx, body, 'EmbedRequest', { model: 'string', truncate: 'bool', dimensions: 'number', options: 'object' })) return;
      let inputs: string[];
      if (typeof body.input === 'string') inputs = body.input === '' ? [] : [body.input];
      else if (Array.isArray(body.input)) {
        if (!body.input.every((v): v is string => typeof v === 'string')) {
          sendError(ctx, 400, 'invalid input type');
          return;
        }
        inputs = body.input;
      } else if (body.input === undefined || body.input === null) inputs = [];
      else {
        sendError(ctx, 400, 'invalid input type');
        return;
      }
      const resolved = embeddingModel(ctx, body, (name) => `model '${name}' not found`);
      if (!resolved) return;
      const { model, name, keepAliveMs } = resolved;
      const opts = optionsOf(body);
      const contextLength = Math.min(contextFor(model, opts), model.contextLength);
      touch(model, keepAliveMs, contextLength);
      if (inputs.length === 0) {
        sendJson(ctx, 200, { model: name, embeddings: [] });
        return;
      }
      const truncate = body.truncate !== false;
      let promptTokens = 0;
      const embeddings: number[][] = [];
      for (const input of inputs) {
        let text = input;
        if (fakeTokenCount(text) > contextLength) {
          if (!truncate) {
            sendError(ctx, 400, 'the input length exceeds the context length');
            return;
          }
          text = truncateToTokens(text, contextLength);
        }
        promptTokens += fakeTokenCount(text);
        // Ollama cuts the vector to `dimensions` and re-normalizes it. A prefix of a sparse hashed
        // vector is mostly zeros, so the fake hashes into the shorter length instead: still unit length.
        const dimensions = typeof body.dimensions === 'number' && body.dimensions > 0 ? Math.min(body.dimensions, model.dimensions) : model.dimensions;
        embeddings.push(hashEmbedding(text, dimensions));
      }
      const loadDuration = 1_019_500;
      sendJson(ctx, 200, {
        model: name,
        embeddings,
        total_duration: loadDuration + 150_000 * promptTokens + 500_000,
        load_duration: loadDuration,
        prompt_eval_count: promptTokens,
      });
    },
  };

  const embeddings: FakeRoute = {
    name: 'ollama.embeddings',
    method: 'POST',
    pattern: '/api/embeddings',
    handle(ctx) {
      const body = readBody(ctx);
      if (!body || !checkTypes(ctx, body, 'EmbeddingRequest', { model: 'string', prompt: 'string', options: 'object' })) return;
      // The legacy handler goes straight to the scheduler, which words "not found" differently.
      const resolved = embeddingModel(ctx, body, (name) => `model "${name}" not found, try pulling it first`);
      if (!resolved) return;
      const { model, keepAliveMs } = resolved;
      const opts = optionsOf(body);
      const contextLength = Math.min(contextFor(model, opts), model.contextLength);
      touch(model, keepAliveMs, contextLength);
      const prompt = typeof body.prompt === 'string' ? body.prompt : '';
      // An empty prompt only loads the model.
      if (prompt === '') {
        sendJson(ctx, 200, { embedding: [] });
        return;
      }
      sendJson(ctx, 200, { embedding: hashEmbedding(truncateToTokens(prompt, contextLength), model.dimensions) });
    },
  };

  const tags: FakeRoute = {
    name: 'ollama.tags',
    method: 'GET',
    pattern: '/api/tags',
    handle(ctx) {
      const list = [...models]
        .sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt))
        .map((m) => ({ name: m.name, model: m.name, modified_at: m.modifiedAt, size: m.size, digest: m.digest, details: details(m) }));
      sendJson(ctx, 200, { models: list });
    },
  };

  const show: FakeRoute = {
    name: 'ollama.show',
    method: 'POST',
    pattern: '/api/show',
    handle(ctx) {
      const body = readBody(ctx);
      if (!body || !checkTypes(ctx, body, 'ShowRequest', { model: 'string', name: 'string', verbose: 'bool' })) return;
      const name = (typeof body.model === 'string' && body.model) || (typeof body.name === 'string' && body.name) || '';
      if (name === '') {
        sendError(ctx, 400, 'model is required');
        return;
      }
      const model = find(name);
      if (!model) {
        sendError(ctx, 404, `model '${name}' not found`);
        return;
      }
      const arch = model.family;
      const chatModel = model.kind === 'chat';
      const template = chatModel
        ? '{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n'
        : '{{ .Prompt }}';
      // Ollama prints each parameter as `%-30s %#v`.
      const parameters = chatModel
        ? ['<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'].map((stop) => `${'stop'.padEnd(30)} "${stop}"`).join('\n')
        : `${'num_ctx'.padEnd(30)} ${model.contextLength}`;
      const modelfile = [
        '# Modelfile generated by "ollama show"',
        '# To build a new Modelfile based on this, replace FROM with:',
        `# FROM ${model.name}`,
        '',
        `FROM /root/.ollama/models/blobs/sha256-${model.digest}`,
        `TEMPLATE """${template}"""`,
        ...parameters.split('\n').map((line) => `PARAMETER ${line.replace(/\s+/, ' ')}`),
        '',
      ].join('\n');
      sendJson(ctx, 200, {
        modelfile,
        parameters,
        template,
        details: details(model),
        model_info: {
          'general.architecture': arch,
          'general.file_type': chatModel ? 15 : 1,
          'general.parameter_count': parseParameterCount(model.parameterSize),
          'general.quantization_version': 2,
          [`${arch}.context_length`]: model.contextLength,
          [`${arch}.embedding_length`]: model.dimensions,
        },
        capabilities: chatModel ? ['completion'] : ['embedding'],
        modified_at: model.modifiedAt,
      });
    },
  };

  const ps: FakeRoute = {
    name: 'ollama.ps',
    method: 'GET',
    pattern: '/api/ps',
    handle(ctx) {
      const now = Date.now();
      for (const [name, entry] of loaded) if (entry.expiresAt <= now) loaded.delete(name);
      const list = [...loaded.values()]
        .sort((a, b) => b.expiresAt - a.expiresAt)
        .map(({ model, expiresAt, contextLength }) => ({
          name: model.name,
          model: model.name,
          size: model.size,
          digest: model.digest,
          details: details(model),
          expires_at: new Date(expiresAt).toISOString(),
          size_vram: model.size,
          context_length: contextLength,
        }));
      sendJson(ctx, 200, { models: list });
    },
  };

  const version: FakeRoute = {
    name: 'ollama.version',
    method: 'GET',
    pattern: '/api/version',
    handle(ctx) {
      sendJson(ctx, 200, { version: SERVER_VERSION });
    },
  };

  const pull: FakeRoute = {
    name: 'ollama.pull',
    method: 'POST',
    pattern: '/api/pull',
    async handle(ctx) {
      const body = readBody(ctx);
      if (!body || !checkTypes(ctx, body, 'PullRequest', { model: 'string', name: 'string', stream: 'bool', insecure: 'bool' })) return;
      const name = (typeof body.model === 'string' && body.model) || (typeof body.name === 'string' && body.name) || '';
      const model = name ? find(name) : undefined;
      const missing = 'pull model manifest: file does not exist';
      if (!streams(body)) {
        // Non-streaming pulls wait for the end and answer with the last progress line only.
        if (model) sendJson(ctx, 200, { status: 'success' });
        else sendError(ctx, 500, missing);
        return;
      }
      if (!model) {
        // The first progress line is out before the registry says no; the error follows in-stream.
        await ctx.ndjson([{ status: 'pulling manifest' }, { error: missing }]);
        return;
      }
      const layer = (digest: string, total: number, steps: number): Json[] =>
        Array.from({ length: steps + 1 }, (_, i) => {
          const completed = Math.round((total * i) / steps);
          return { status: `pulling ${digest.slice(0, 12)}`, digest: `sha256:${digest}`, total, ...(completed > 0 ? { completed } : {}) };
        });
      const small = (what: string): string => createHash('sha256').update(`${model.name}:${what}`).digest('hex');
      await ctx.ndjson([
        { status: 'pulling manifest' },
        ...layer(model.digest, model.size, 4),
        ...(model.kind === 'chat' ? layer(small('template'), 1429, 1) : []),
        ...layer(small('license'), 7711, 1),
        ...layer(small('params'), 96, 1),
        { status: 'verifying sha256 digest' },
        { status: 'writing manifest' },
        { status: 'success' },
      ]);
    },
  };

  const rootHandle = (ctx: FakeContext): void => ctx.text(200, 'Ollama is running', 'text/plain; charset=utf-8');
  const routes: FakeRoute[] = [
    chat,
    generateRoute,
    embed,
    embeddings,
    tags,
    show,
    ps,
    version,
    pull,
    { name: 'ollama.root', method: 'GET', pattern: '/', handle: rootHandle },
    { name: 'ollama.root', method: 'HEAD', pattern: '/', handle: rootHandle },
  ];
  return new FakeServer('ollama', routes, options).listen();
}
