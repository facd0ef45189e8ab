#!/usr/bin/env node
// Starts the BUILT demo exactly as the Space image's CMD does and checks that it answers:
//   node <the CMD's node options> apps/demo/dist/main.js   (cwd: the repository, like WORKDIR /app)
// with the image's ENV values (both read from apps/demo/Dockerfile by apps/demo/space/runtime.mjs),
// on 127.0.0.1 and a free port, the offline profile, a fresh DATA_DIR, and only the variables
// start() lists (no tokens are passed on). Run as root, the app runs as
// `nobody` with a DATA_DIR only it can write and an app folder it must not be able to write, as
// in the image (root-owned /app, runtime uid 1000). Checks:
//   1. GET /health answers ok (the image's HEALTHCHECK), the sample corpus that a first start
//      ingests is complete and GET /api/health counts it, within SMOKE_TIMEOUT_S (default 120 s);
//   2. POST /api/ask streams an `answer` event that is not refused and has at least one citation,
//      then `done`, and no `error`;
//   3. SIGTERM (what a Space sends) stops the server with exit code 0.
// Exits non-zero on the first failure, printing the server log's tail.
//   tools/space-build.sh && node tools/space-smoke.mjs [repository-dir (default: this script's)]
// SMOKE_TIMEOUT_S and SMOKE_QUESTION override the start-up deadline and the question.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spaceRuntime } from '../apps/demo/space/runtime.mjs';

const ROOT = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
/** The image's CMD and ENV, from the Dockerfile of the repository under test. */
const RUNTIME = spaceRuntime(ROOT);
const ENTRY = RUNTIME.entry;
const TIMEOUT_MS = Number(process.env.SMOKE_TIMEOUT_S ?? 120) * 1000;
/** Answerable from the sample corpus (docs/architecture.md and several package READMEs say why). */
const QUESTION = process.env.SMOKE_QUESTION ?? 'Why do the adapters not retry on their own?';
const LOG_TAIL_LINES = 60;

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
const say = (line) => console.log(`space-smoke: ${line}`);

class SmokeFailure extends Error {}
const fail = (message) => {
  throw new SmokeFailure(message);
};

/** The uid and gid of `nobody` from /etc/passwd (the unprivileged user root runs the app as). */
function nobody() {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  if (!line) fail('running as root but /etc/passwd has no "nobody" user to run the app as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs `node -e script` as the app's user; true when it exits 0. */
function asAppUser(user, script) {
  return spawnSync(process.execPath, ['-e', script], { cwd: '/', stdio: 'ignore', ...user }).status === 0;
}

async function freePort() {
  const server = createServer();
  await new Promise((ready, reject) => server.once('error', reject).listen(0, '127.0.0.1', ready));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function getJson(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until `check` returns a value, the server exits, or the deadline passes. */
async function waitFor(what, check, server) {
  while (Date.now() - started < TIMEOUT_MS) {
    if (server.exitCode !== null || server.signalCode !== null) {
      fail(`the server exited (code ${server.exitCode}, signal ${server.signalCode}) while waiting for ${what}`);
    }
    const value = await check();
    if (value !== undefined) return value;
    await sleep(500);
  }
  fail(`timed out after ${TIMEOUT_MS / 1000} s waiting for ${what}`);
}

/** Reads a server-sent event stream into `{ event, data }` records. */
async function readEvents(response) {
  const text = await response.text();
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim())
    .map((block) => {
      let event = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: data.join('\n') };
    });
}

async function ask(base) {
  const response = await fetch(`${base}/api/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question: QUESTION }),
    signal: AbortSignal.timeout(60_000),
  });
  if (response.status !== 200) fail(`POST /api/ask answered HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  const events = await readEvents(response);
  const names = events.map((e) => e.event);
  const error = events.find((e) => e.event === 'error');
  if (error) fail(`POST /api/ask streamed an error event: ${error.data}`);
  const answerEvent = events.find((e) => e.event === 'answer');
  if (!answerEvent) fail(`POST /api/ask streamed no answer event (events: ${names.join(', ') || 'none'})`);
  if (names.at(-1) !== 'done') fail(`POST /api/ask did not end with a done event (events: ${names.join(', ')})`);
  const answer = JSON.parse(answerEvent.data);
  if (answer.refused) fail(`the answer was refused: ${answer.refusalReason ?? 'no reason given'}`);
  if (!Array.isArray(answer.citations) || answer.citations.length === 0) fail(`the answer has no citations: ${JSON.stringify(answer).slice(0, 300)}`);
  if (typeof answer.text !== 'string' || !answer.text.trim()) fail('the answer text is empty');
  return { answer, names };
}

async function stop(server) {
  if (server.exitCode !== null || server.signalCode !== null) return { code: server.exitCode, signal: server.signalCode };
  const exited = new Promise((done) => server.once('exit', (code, signal) => done({ code, signal })));
  server.kill('SIGTERM');
  let timer;
  const result = await Promise.race([exited, new Promise((done) => (timer = setTimeout(done, 10_000)))]);
  clearTimeout(timer);
  if (result) return result;
  server.kill('SIGKILL');
  await exited;
  return { code: null, signal: 'SIGKILL', forced: true };
}

function logTail(logFile) {
  if (!existsSync(logFile)) return '(no server log)';
  const lines = readFileSync(logFile, 'utf8').split('\n');
  // The app never logs tokens, and it gets none; masked anyway in case that ever changes.
  return lines
    .slice(-LOG_TAIL_LINES)
    .map((line) => line.replace(/\b(hf_|sk-)[A-Za-z0-9_-]{8,}/g, '$1***'))
    .join('\n');
}

/** Prepares the data folder as the image does: writable by the app user, the code not. */
function prepare(work, user) {
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  if (user.uid === undefined) return dataDir;
  // mkdtemp makes the folder 0700: the app user must be able to reach its DATA_DIR inside it.
  chmodSync(work, 0o755);
  chownSync(dataDir, user.uid, user.gid);
  const access = (path, mode) => asAppUser(user, `require('fs').accessSync(${JSON.stringify(path)}, require('fs').constants.${mode})`);
  const entry = join(ROOT, ENTRY);
  if (!access(entry, 'R_OK')) fail(`user nobody cannot read ${entry}: make every folder on the way readable (temp dirs are 0700; chmod 755)`);
  if (access(ROOT, 'W_OK')) fail(`user nobody can write ${ROOT}; the image's app folder is read-only for the app, so here it must be too`);
  if (!access(dataDir, 'W_OK')) fail(`user nobody cannot write ${dataDir}`);
  return dataDir;
}

/** Starts the built app as the image's CMD does; `output()` is what it has logged so far. */
async function start(work, user, dataDir) {
  const port = await freePort();
  // Only these variables: no HF_TOKEN, ADMIN_TOKEN or OLLAMA_HOST leaks in from the caller.
  const env = {
    ...RUNTIME.env,
    PATH: process.env.PATH,
    HOME: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    RAGBRIDGE_PROFILE: 'offline',
  };
  const logFile = join(work, 'server.log');
  const log = createWriteStream(logFile);
  const server = spawn(process.execPath, [...RUNTIME.nodeArgs, ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], ...user });
  let output = '';
  for (const stream of [server.stdout, server.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk;
      log.write(chunk);
    });
  }
  const base = `http://127.0.0.1:${port}`;
  const who = user.uid === undefined ? 'the current user' : 'nobody';
  say(`started node ${RUNTIME.nodeArgs.join(' ')} ${ENTRY} in ${ROOT} as ${who} on ${base} (offline profile)`);
  return { server, base, logFile, log, output: () => output };
}

/** Health, the sample corpus, one question: throws a SmokeFailure on the first check that fails. */
async function check({ server, base, output }) {
  const health = await waitFor('GET /health', async () => {
    const body = await getJson(`${base}/health`);
    return body?.status === 'ok' ? body : undefined;
  }, server);
  say(`ok  GET /health → status ok, profile ${health.profile} (${seconds()} s)`);
  // The server listens first and then ingests; its own line says when the corpus is complete
  // (from then on SIGTERM is handled: main.js installs the handler once startServer returns).
  const corpusReady = () => /sample corpus ready \(([^)]*)\)/.exec(output())?.[1];
  const ready = await waitFor('the sample corpus to be ingested ("sample corpus ready" in the log)', async () => corpusReady(), server);
  const documents = (await getJson(`${base}/api/health`))?.documents;
  if (!(documents > 0)) fail(`GET /api/health reports ${documents} documents after the sample corpus was ingested`);
  say(`ok  sample corpus ingested (${ready}); GET /api/health → ${documents} documents (${seconds()} s)`);
  const { answer, names } = await ask(base);
  const where = (c) => (c.citedBy === 'page' ? ` p. ${c.label ?? c.page}` : c.section ? ` § ${c.section}` : '');
  const cited = answer.citations.map((c) => `[${c.n}] ${c.doc}${where(c)}`).join('; ');
  say(`ok  POST /api/ask "${QUESTION}" → events ${names.join(', ')}`);
  say(`    ${answer.mode} answer, not refused, ${answer.citations.length} citation(s): ${cited}`);
  say(`    "${answer.text.replace(/\s+/g, ' ').slice(0, 160)}${answer.text.length > 160 ? '…' : ''}"`);
}

/** Starts the app, runs the checks, stops it; returns the failure, if any. */
async function run(work, user) {
  const app = await start(work, user, prepare(work, user));
  let failure;
  try {
    await check(app);
  } catch (error) {
    failure = error;
  }
  const exit = await stop(app.server);
  await new Promise((done) => app.log.end(done));
  if (!failure && exit.forced) failure = new SmokeFailure('the server did not stop within 10 s of SIGTERM (killed)');
  else if (!failure && exit.code !== 0) {
    failure = new SmokeFailure(`the server exited with code ${exit.code} (signal ${exit.signal}) on SIGTERM, expected 0`);
  } else if (!failure) say('ok  SIGTERM → exited 0');
  if (failure) {
    console.error(`space-smoke: FAILED: ${failure instanceof SmokeFailure ? failure.message : failure.stack}`);
    console.error(`space-smoke: server log (last ${LOG_TAIL_LINES} lines):\n${logTail(app.logFile)}`);
  }
  return failure;
}

async function main() {
  if (!existsSync(join(ROOT, ENTRY))) fail(`${join(ROOT, ENTRY)} does not exist: run tools/space-build.sh first`);
  const user = process.getuid?.() === 0 ? nobody() : {};
  const work = mkdtempSync(join(tmpdir(), 'ragbridge-space-smoke-'));
  try {
    if (await run(work, user)) process.exitCode = 1;
    else say(`passed in ${seconds()} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`space-smoke: FAILED: ${error instanceof SmokeFailure ? error.message : error.stack}`);
  process.exitCode = 1;
});
