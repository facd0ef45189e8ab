import { Agent, request } from 'node:http';

/** Which demo endpoint the clients call. */
export type LoadEndpoint = 'ask' | 'openai';

/** How each endpoint is named in the output. */
export const ENDPOINT_LABELS: Record<LoadEndpoint, string> = {
  ask: 'POST /api/ask (the web UI route: the whole SSE answer)',
  openai: 'POST /v1/chat/completions (OpenAI-compatible, not streamed)',
};

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Base URLs of the replicas; each request goes to the next one in turn. */
  urls: readonly string[];
  clients: number;
  seconds: number;
  questions: readonly string[];
  endpoint: LoadEndpoint;
}

/** What a load run measured. */
export interface LoadResult {
  /** Requests answered correctly. */
  answered: number;
  errors: number;
  /** A few distinct error descriptions. */
  errorSamples: string[];
  /** Latency of each answered request, ms. */
  latencies: number[];
  /** Requests sent again because the kept-alive socket they were written to was closing (not errors: the server never saw them). */
  resent: number;
  seconds: number;
}

const ROUTES: Record<LoadEndpoint, { path: string; body: (question: string) => string; ok: (body: string) => boolean }> = {
  // The web UI's route: the whole server-sent event stream, which must end in `done`.
  ask: {
    path: '/api/ask',
    body: (question) => JSON.stringify({ question }),
    ok: (body) => body.includes('event: done') && !body.includes('event: error'),
  },
  openai: {
    path: '/v1/chat/completions',
    body: (question) => JSON.stringify({ model: 'ragbridge', messages: [{ role: 'user', content: question }] }),
    ok: (body) => body.includes('"choices"'),
  },
};

/** A reply, or the error of a request sent on a kept-alive socket the server had just closed. */
type PostOutcome = { status: number; body: string } | { staleSocket: true };

/**
 * One POST over a kept-alive connection; resolves with the status and the whole body. A request
 * written to an idle socket as the server closes it (its keep-alive timeout) fails with ECONNRESET
 * before the server saw it: Node marks it `reusedSocket`, and such a request is safe to send again.
 */
function post(agent: Agent, url: URL, path: string, body: string): Promise<PostOutcome> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && error.code === 'ECONNRESET') resolve({ staleSocket: true });
      else reject(error);
    });
    req.end(body);
  });
}

/**
 * `clients` loops, each asking the next question as soon as its previous answer is read, for
 * `seconds`; requests go round-robin over `urls`. Plain `node:http` with keep-alive, one process:
 * the lightest client Node has, so the replicas get the cores.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const route = ROUTES[options.endpoint];
  const targets = options.urls.map((u) => new URL(u));
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  const latencies: number[] = [];
  const errorSamples = new Set<string>();
  let errors = 0;
  let sent = 0;
  let resent = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      let i = client;
      while (performance.now() < deadline) {
        const question = options.questions[i++ % options.questions.length] as string;
        const target = targets[sent++ % targets.length] as URL;
        const t0 = performance.now();
        try {
          let response = await post(agent, target, route.path, route.body(question));
          while ('staleSocket' in response) {
            resent++;
            response = await post(agent, target, route.path, route.body(question));
          }
          if (response.status === 200 && route.ok(response.body)) latencies.push(performance.now() - t0);
          else {
            errors++;
            if (errorSamples.size < 5) errorSamples.add(`${response.status} ${response.body.slice(-200).replace(/\s+/g, ' ')}`);
          }
        } catch (error) {
          errors++;
          if (errorSamples.size < 5) errorSamples.add(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { answered: latencies.length, errors, errorSamples: [...errorSamples], latencies, resent, seconds };
}
