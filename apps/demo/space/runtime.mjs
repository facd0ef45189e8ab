// How the Space image starts the app, read from apps/demo/Dockerfile's last stage: the node
// options of its CMD and the variables its ENV lines set. tools/space-smoke.mjs and the load
// benchmark (apps/demo/bench/load-bench.ts) start the app this way, so what they check and
// measure is what the image runs, and changing the Dockerfile changes them too.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * @param {string} text  a Dockerfile
 * @returns {{ env: Record<string, string>, nodeArgs: string[], entry: string }}
 */
export function parseSpaceRuntime(text) {
  // Continuation lines joined; comments dropped.
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const lastFrom = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  const stage = lines.slice(lastFrom + 1);
  const env = {};
  for (const line of stage) {
    const m = /^ENV\s+(.*)$/i.exec(line);
    if (!m) continue;
    const body = m[1];
    if (!body.includes("="))
      throw new Error(
        `Dockerfile: ENV without "=" is not supported here: ${line}`
      );
    for (const pair of body.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S*)/g) ??
      []) {
      const at = pair.indexOf("=");
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, "$1");
    }
  }
  const cmdLine = stage.findLast((l) => /^CMD\s/i.test(l));
  if (!cmdLine) throw new Error("Dockerfile: the last stage has no CMD");
  let cmd;
  try {
    cmd = JSON.parse(cmdLine.replace(/^CMD\s+/i, ""));
  } catch {
    throw new Error(
      `Dockerfile: CMD must be in exec form (a JSON array): ${cmdLine}`
    );
  }
  if (!Array.isArray(cmd) || cmd[0] !== "node" || cmd.length < 2)
    throw new Error(
      `Dockerfile: CMD must be ["node", ...options, entry]: ${cmdLine}`
    );
  return { env, nodeArgs: cmd.slice(1, -1), entry: cmd[cmd.length - 1] };
}

/** The runtime of the repository's Space image (`root`: the repository, default this one). */
export function spaceRuntime(root = ROOT) {
  return parseSpaceRuntime(
    readFileSync(join(root, "apps/demo/Dockerfile"), "utf8")
  );
}
