import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sink } from './__fixtures__/output-sink.js';
import { resolveConfig } from '@ragbridge/config-profiles';
import { doctorCommand, type DoctorCommandOptions } from './doctor-command.js';
import { diagnoseUnavailable } from './doctor-diagnosis.js';
import { modelSteps, probeStep } from './doctor-probes.js';

// Imported lazily, as compare --fake-services does (the test kit is a dev dependency of the CLI).
const { fetchToFake, startFakeHf, startFakeOllama, startFakeTei } = await import('@ragbridge/testkit');

const TOKEN = 'hf_doctorTestToken_0123456789abcdef';

/** Runs the doctor; returns its exit code and what it printed on stdout and stderr. */
async function doctor(options: DoctorCommandOptions): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await doctorCommand({
    cwd: mkdtempSync(join(tmpdir(), 'rb-doctor-')),
    ...options,
    out: out.stream,
    err: err.stream,
  });
  return { code, out: out.text(), err: err.text() };
}

/** A port on 127.0.0.1 where nothing listens (a server was there a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The lines of the report about one part (its name, then its indented steps). */
function partLines(out: string, part: string): string[] {
  const lines = out.split('\n');
  const start = lines.indexOf(part);
  const end = lines.findIndex((l, i) => i > start && !l.startsWith(' '));
  return lines.slice(start + 1, end);
}

describe('ragbridge doctor', () => {
  it('all ok: the profile chosen by ragbridge.yaml, every step of every chain called once, secrets nowhere; exit 0', async () => {
    const [hf, ollama, teiEmbed, teiRerank] = await Promise.all([
      startFakeHf({ token: TOKEN }),
      startFakeOllama(),
      startFakeTei({ kind: 'embedding' }),
      startFakeTei({ kind: 'reranker', apiKey: 'tei-api-key-secret-42' }),
    ]);
    try {
      const cwd = mkdtempSync(join(tmpdir(), 'rb-doctor-'));
      writeFileSync(
        join(cwd, 'ragbridge.yaml'),
        [
          'extends: local',
          'models:',
          '  answer:',
          '    chain:',
          '      - { backend: ollama, model: "llama3.2:3b" }',
          '      - { backend: hf-inference, model: openai/gpt-oss-20b, options: { headers: { X-Team: header-secret-77 } } }',
          '  embedder:',
          `    chain: [{ backend: hf-tei, model: BAAI/bge-small-en-v1.5, endpoint: "${teiEmbed.url}" }]`,
          '  reranker:',
          '    chain:',
          '      - { backend: hf-inference, model: cross-encoder/ms-marco-MiniLM-L6-v2 }',
          `      - { backend: hf-tei, model: BAAI/bge-reranker-base, endpoint: "${teiRerank.url}", apiKey: tei-api-key-secret-42 }`,
          'alerts:',
          '  webhook: { url: "https://hooks.example.com/T000/webhook-secret-path" }',
          '',
        ].join('\n'),
      );
      const { code, out, err } = await doctor({
        cwd,
        env: { HF_TOKEN: TOKEN, OLLAMA_HOST: ollama.url, HF_HUB_OFFLINE: '1' },
        fetch: fetchToFake(hf.url),
      });
      expect(out).toMatch(/^Profile: local\nWhy: ragbridge\.yaml extends "local"\n/);
      expect(partLines(out, 'answer')).toEqual([
        expect.stringMatching(/^ {2}✓ 1\. ollama llama3\.2:3b — ok \(\d+ ms\)$/),
        expect.stringMatching(/^ {2}✓ 2\. hf-inference openai\/gpt-oss-20b — ok \(\d+ ms\)$/),
        '  · 3. extractive — always answers, with sentences quoted from the documents',
      ]);
      expect(partLines(out, 'embedder')).toEqual([
        `  ✓ 1. hf-tei BAAI/bge-small-en-v1.5 at ${teiEmbed.url} — ok (${/at \S+ — ok \((\d+) ms/.exec(out)?.[1]} ms)`,
        '  · 2. keyword — always works (BM25 keyword retrieval)',
      ]);
      expect(partLines(out, 'reranker')).toHaveLength(3);
      expect(
        partLines(out, 'reranker')
          .slice(0, 2)
          .every((l) => / — ok \(\d+ ms\)$/.test(l)),
      ).toBe(true);
      expect(out.trimEnd().split('\n').at(-1)).toBe('Every model step works.');
      expect(code).toBe(0);
      // A real call through each step: a one-token chat, one text embedded, one pair scored.
      expect(ollama.requests.find((r) => r.path === '/api/chat')?.json).toMatchObject({
        model: 'llama3.2:3b',
        options: { num_predict: 1 },
      });
      expect(teiEmbed.requests.filter((r) => r.path === '/embed')).toHaveLength(1);
      expect(teiRerank.requests.find((r) => r.path === '/rerank')?.headers.authorization).toBe(
        'Bearer tei-api-key-secret-42',
      );
      expect(hf.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
      for (const secret of [TOKEN, 'tei-api-key-secret-42', 'header-secret-77', 'webhook-secret-path'])
        expect(out + err).not.toContain(secret);
    } finally {
      await Promise.all([hf.close(), ollama.close(), teiEmbed.close(), teiRerank.close()]);
    }
  }, 60_000);

  it('Ollama down: says to start it (or set OLLAMA_HOST); a model not pulled: says to pull it; exit 1, and the fallback still answers', async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const down = await doctor({ profile: 'local', env: { OLLAMA_HOST: host, HF_HUB_OFFLINE: '1' } });
    expect(down.out).toMatch(/^Profile: local\nWhy: set by --profile\n/);
    expect(partLines(down.out, 'answer')).toEqual([
      `  ✗ 1. ollama llama3.2:3b — Ollama is not running at ${host}`,
      '       fix: start it with `ollama serve` (or point host / OLLAMA_HOST at the server that runs it)',
      '  · 2. extractive — always answers, with sentences quoted from the documents',
    ]);
    // The local profile downloads its Transformers.js models; with HF_HUB_OFFLINE=1 and none on disk, they cannot run.
    expect(partLines(down.out, 'embedder')[0]).toBe(
      '  ✗ 1. transformersjs Xenova/all-MiniLM-L6-v2 — model files not on disk, and downloads are off',
    );
    expect(down.out.trimEnd().split('\n').at(-1)).toBe(
      '3 of 3 model step(s) do not work. ragbridge still answers: answers are extractive (sentences quoted from the documents); retrieval is keyword-only (BM25); hits keep their fused keyword/dense order.',
    );
    expect(down.code).toBe(1);

    const ollama = await startFakeOllama({ models: [] });
    try {
      const unpulled = await doctor({ profile: 'local', env: { OLLAMA_HOST: ollama.url, HF_HUB_OFFLINE: '1' } });
      expect(partLines(unpulled.out, 'answer').slice(0, 2)).toEqual([
        '  ✗ 1. ollama llama3.2:3b — model "llama3.2:3b" is not pulled',
        '       fix: run `ollama pull llama3.2:3b`',
      ]);
      expect(unpulled.code).toBe(1);
    } finally {
      await ollama.close();
    }
  }, 60_000);

  it('a token the server refuses (401) or no token: says to set HF_TOKEN, never prints the token; exit 1', async () => {
    const hf = await startFakeHf({ token: TOKEN });
    try {
      const wrong = 'hf_wrongDoctorToken_9876543210zyxw';
      const refused = await doctor({
        profile: 'hf-spaces',
        env: { HF_TOKEN: wrong, HF_HUB_OFFLINE: '1' },
        fetch: fetchToFake(hf.url),
      });
      expect(partLines(refused.out, 'answer').slice(0, 2)).toEqual([
        '  ✗ 1. hf-inference openai/gpt-oss-20b — Hugging Face refused the token (HTTP 401)',
        '       fix: set HF_TOKEN to a valid token from https://huggingface.co/settings/tokens, with the "Make calls to Inference Providers" permission (a gated model also needs access granted on its page)',
      ]);
      expect(partLines(refused.out, 'embedder')[0]).toBe(
        '  ✗ 1. hf-inference BAAI/bge-small-en-v1.5 — Hugging Face refused the token (HTTP 401)',
      );
      expect(refused.code).toBe(1);
      expect(refused.out + refused.err).not.toContain(wrong);

      const missing = await doctor({ profile: 'hf-spaces', env: { HF_HUB_OFFLINE: '1' }, fetch: fetchToFake(hf.url) });
      expect(partLines(missing.out, 'answer')[0]).toBe('  ✗ 1. hf-inference openai/gpt-oss-20b — HF_TOKEN is not set');
      expect(missing.code).toBe(1);
    } finally {
      await hf.close();
    }
  }, 60_000);

  it('the offline profile: no network, models not on disk are allowed (keyword retrieval, extractive answers); exit 0', async () => {
    const calls: string[] = [];
    const forbidden: typeof fetch = async (input) => {
      calls.push(String(input));
      throw new TypeError('fetch failed: the network must not be used');
    };
    const { code, out } = await doctor({ env: { RAGBRIDGE_PROFILE: 'offline' }, fetch: forbidden });
    expect(out).toMatch(/^Profile: offline\nWhy: set by RAGBRIDGE_PROFILE\n/);
    expect(partLines(out, 'embedder')).toEqual([
      '  ! 1. transformersjs Xenova/all-MiniLM-L6-v2 — model files not on disk, and downloads are off',
      "       fix: download it once where downloads are allowed (HF_HUB_OFFLINE unset, a profile without offline: true, e.g. --profile local), or point the step's options.localModelPath or cacheDir at a folder that holds it",
      '  · 2. keyword — always works (BM25 keyword retrieval)',
    ]);
    expect(out.trimEnd().split('\n').at(-1)).toBe(
      'Every model step that can run here works; 2 model(s) are not on disk, which offline: true allows (cached models only). Until they are: retrieval is keyword-only (BM25); hits keep their fused keyword/dense order.',
    );
    expect(code).toBe(0);
    expect(calls).toEqual([]);
  }, 60_000);

  it('as a command: exit code, redacted output, and one-line usage errors', () => {
    const bin = new URL('../bin/ragbridge.js', import.meta.url).pathname;
    const cwd = mkdtempSync(join(tmpdir(), 'rb-doctor-'));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], {
        cwd,
        encoding: 'utf8',
        // DATABASE_URL emptied: this is about the profile (CI sets one for the PostgreSQL tests).
        env: { ...process.env, HF_TOKEN: TOKEN, RAGBRIDGE_PROFILE: '', DATABASE_URL: '' },
        timeout: 60_000,
      });
    const offline = run('doctor', '--profile', 'offline');
    expect(offline.status).toBe(0);
    expect(offline.stdout).toMatch(/^Profile: offline\nWhy: set by --profile\n/);
    expect(offline.stdout + offline.stderr).not.toContain(TOKEN);
    const extra = run('doctor', 'now');
    expect([extra.status, extra.stderr]).toEqual([
      2,
      'ragbridge: doctor: unexpected argument "now"; run ragbridge doctor [--profile NAME]\n',
    ]);
  }, 60_000);

  it('an adapter package that is not installed: says which, and the npm install that fixes it', async () => {
    const resolved = await resolveConfig({ profile: 'local', env: {} });
    const missing = Object.assign(
      new Error("Cannot find package '@ragbridge/adapter-ollama' imported from /app/runtime.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const importAdapter = async (name: string): Promise<unknown> => {
      if (name === '@ragbridge/adapter-ollama') throw missing;
      return import(name);
    };
    const [answer] = modelSteps(resolved.config);
    expect(answer?.step).toMatchObject({ backend: 'ollama' });
    const outcome = await probeStep(
      { resolved, env: {}, baseDir: tmpdir(), importAdapter },
      answer as NonNullable<typeof answer>,
    );
    expect(outcome.status).toBe('unavailable');
    expect(
      diagnoseUnavailable(
        (answer as NonNullable<typeof answer>).step,
        outcome as Extract<typeof outcome, { status: 'unavailable' }>,
      ),
    ).toEqual({
      kind: 'not-installed',
      problem: '@ragbridge/adapter-ollama is not installed',
      fix: 'npm install @ragbridge/adapter-ollama',
    });
  });

  it('a TEI server that does not answer: says so with its address; exit 1', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const dir = mkdtempSync(join(tmpdir(), 'rb-doctor-'));
    const file = join(dir, 'tei.yaml');
    // offline: true refuses hosted steps, so the file turns it off.
    writeFileSync(
      file,
      `extends: offline\noffline: false\nmodels:\n  embedder:\n    chain: [{ backend: hf-tei, model: BAAI/bge-small-en-v1.5, endpoint: "${endpoint}" }]\n  reranker: { chain: [] }\n`,
    );
    const { code, out } = await doctor({ env: { RAGBRIDGE_CONFIG: file } });
    expect(out).toContain(`Profile: offline\nWhy: ${file} extends "offline"\n`);
    expect(partLines(out, 'embedder').slice(0, 2)).toEqual([
      `  ✗ 1. hf-tei BAAI/bge-small-en-v1.5 at ${endpoint} — TEI is not reachable at ${endpoint}`,
      "       fix: start the Text Embeddings Inference server there, or correct the step's endpoint",
    ]);
    expect(code).toBe(1);
  });
});
