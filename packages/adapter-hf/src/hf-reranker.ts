import { getProviderHelper, makeRequestOptions } from '@huggingface/inference';
import { InvalidResponseError, parseJsonBody, type RerankerV1 } from '@ragbridge/core-interfaces';
import { z } from 'zod';
import { HF_BACKEND, HF_HINTS } from './constants.js';
import { jsonBytes } from './internal/batching.js';
import { headerTokens, type CallPlan } from './internal/embedding.js';
import { isHuggingFaceUrl, resolveHfHosts, rewriteHfUrl, type HfHosts } from './internal/hf-hosts.js';
import { capturingFetch, errorFromHfClient, resolveFetch } from './internal/http.js';
import { batchingDefaults, batchingOptions, hfClientOptions, hfInferenceOptions, NOT_STEP_OPTIONS, parseOptions } from './internal/options.js';
import { rerankTexts, type RerankerCore } from './internal/reranking.js';
import { readHfToken, type HfToken } from './internal/secrets.js';
import { WAIT_FOR_MODEL_HEADER, WARM_UP_RERANK, WARM_UP_TEXT, warmUpIfLoading } from './internal/warm-up.js';

/** The cross-encoder the hf-inference reranker uses when `model` is not given. */
export const DEFAULT_HF_RERANKER_MODEL = 'cross-encoder/ms-marco-MiniLM-L6-v2';

const hfRerankerOptionsSchema = z.strictObject({
  /** A cross-encoder served by hf-inference as text-classification. @default 'cross-encoder/ms-marco-MiniLM-L6-v2' */
  model: z.string().min(1).optional(),
  /**
   * The label whose score is the relevance, for classifiers with several labels. A single-label
   * cross-encoder needs none.
   */
  label: z.string().min(1).optional(),
  ...hfClientOptions,
  ...hfInferenceOptions,
  ...batchingOptions,
});

/**
 * The options a configuration step of {@link createHfReranker} may set (`models.reranker.chain[i].options`
 * in ragbridge.yaml): all of its options but `model`, `token`, `fetch` and `onWarmUp`, which the step's own fields and
 * the runtime supply. The runtime checks each step's `options` against it.
 */
export const hfRerankerStepOptionsSchema = hfRerankerOptionsSchema.omit(NOT_STEP_OPTIONS);

/** Options of an `hf-inference` reranker step in configuration. */
export type HfRerankerStepOptions = z.input<typeof hfRerankerStepOptionsSchema>;

/** Options of {@link createHfReranker}. */
export type HfRerankerOptions = z.input<typeof hfRerankerOptionsSchema>;

const labelScoreSchema = z.object({ label: z.string(), score: z.number() });
const classificationSchema = z.array(z.union([labelScoreSchema, z.array(labelScoreSchema)]));

/**
 * A {@link RerankerV1} on a cross-encoder served by hf-inference as text-classification, sending
 * `{text, text_pair}` inputs. The client's `textClassification` takes one string and keeps only
 * the first answer, so the request is built by the client's own `makeRequestOptions` (same URL,
 * headers and Hub lookup) and sent through the same fetch.
 */
export function createHfReranker(options: HfRerankerOptions = {}): RerankerV1 {
  const target = { backend: HF_BACKEND, modelId: options?.model ?? DEFAULT_HF_RERANKER_MODEL };
  const parsed = parseOptions(hfRerankerOptionsSchema, options, target);
  const scope = { target, hints: HF_HINTS };
  const baseFetch = resolveFetch(parsed.fetch);
  const limits = batchingDefaults(parsed);
  const helper = getProviderHelper('hf-inference', 'text-classification');

  const relevance = (entries: Array<z.infer<typeof labelScoreSchema>>): number | undefined => {
    if (parsed.label) return entries.find((e) => e.label === parsed.label)?.score;
    return entries.length === 1 ? entries[0]?.score : undefined;
  };

  /** One text-classification request of (query, text) pairs; `wait` asks the server to load a cold model first. */
  const request = async (query: string, texts: string[], token: HfToken, hosts: HfHosts, signal: AbortSignal, wait: boolean) => {
    const inputs = texts.map((text) => ({ text: query, text_pair: text }));
    const fetchVia = capturingFetch(baseFetch, scope, {
      headers: wait ? { ...parsed.headers, ...WAIT_FOR_MODEL_HEADER } : parsed.headers,
      hosts,
      environmentToken: token.fromEnvironment ? token.value : undefined,
    });
    const built = await makeRequestOptions(
      { model: target.modelId, provider: 'hf-inference', ...(token.value && { accessToken: token.value }), inputs },
      helper,
      { task: 'text-classification', fetch: fetchVia, signal, retry_on_error: false, ...(parsed.billTo && { billTo: parsed.billTo }) },
    );
    const response = await fetchVia(built.url, built.info);
    return { url: rewriteHfUrl(built.url, hosts), headers: response.headers, body: await response.text() };
  };

  const core: RerankerCore = {
    target,
    truncate: true,
    keep: 'start',
    concurrency: limits.concurrency,
    usageProvider: 'hf-inference',
    // Each pair repeats the query: {"text":query,"text_pair":"…"}.
    pairOverhead: (query) => jsonBytes({ text: query, text_pair: '' }) - 2,
    async prepare(): Promise<CallPlan> {
      const hosts = resolveHfHosts(parsed);
      const token = await readHfToken(parsed.token, target, isHuggingFaceUrl(hosts.router));
      return { maxItems: limits.maxBatchSize, maxTokens: Infinity, maxBytes: limits.payloadLimit, baseBody: { inputs: [] }, hf: { token, hosts } };
    },
    async send(query, texts, plan, signal) {
      const { token, hosts } = plan.hf as NonNullable<typeof plan.hf>;
      let answer: Awaited<ReturnType<typeof request>>;
      try {
        answer = await request(query, texts, token, hosts, signal, parsed.waitForModel ?? false);
      } catch (error) {
        const mapped = errorFromHfClient(error, scope, signal);
        warmUpIfLoading(mapped, parsed, { ...target, endpoint: `${hosts.router}/hf-inference` }, WARM_UP_RERANK, (warm) => request(WARM_UP_TEXT, [WARM_UP_TEXT], token, hosts, warm, true));
        throw mapped;
      }
      const { url, headers, body } = answer;
      const where = { ...target, endpoint: url };
      const data = classificationSchema.safeParse(parseJsonBody(body, where));
      // One `[{label, score}…]` per pair, or (single-label pipelines) one `{label, score}` per pair.
      const scores = data.success && data.data.length === texts.length ? data.data.map((item) => relevance(Array.isArray(item) ? item : [item])) : [];
      if (scores.length !== texts.length || scores.some((s) => s === undefined)) {
        throw new InvalidResponseError({
          ...where,
          responseBody: body,
          message: parsed.label
            ? `text-classification did not answer a "${parsed.label}" score for each of ${texts.length} pairs`
            : `text-classification did not answer one single-label score for each of ${texts.length} pairs`,
          hint: parsed.label ? 'Check the label name on the model card.' : 'For a classifier with several labels, pass `label` (the one meaning "relevant").',
        });
      }
      const tokens = headerTokens(headers);
      const requestId = headers.get('x-request-id') ?? undefined;
      return { values: scores as number[], ...(tokens !== undefined && { tokens }), ...(requestId && { requestId }) };
    },
  };
  return {
    specificationVersion: 'v1',
    backend: HF_BACKEND,
    modelId: target.modelId,
    maxBatchSize: limits.maxBatchSize,
    rerank: (call) => rerankTexts(core, call),
  };
}
