#!/usr/bin/env node
// Runs the CLI: from TypeScript sources inside the repository (through tsx), from dist/ when built and installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const built = new URL('../dist/main.js', import.meta.url);
// Resolve tsx from here (not from the working directory), so the command works from any folder.
let tsx;
try {
  createRequire(import.meta.url).resolve('tsx');
  tsx = import.meta.resolve('tsx');
} catch {
  tsx = undefined;
}
if (existsSync(source) && tsx && !process.env.RAGBRIDGE_FROM_DIST) {
  const result = spawnSync(process.execPath, ['--conditions=@ragbridge/source', '--import', tsx, source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
} else {
  // Installed: run the built CLI (its module runs nothing on import when it is not the entry).
  const { runCli } = await import(built.href);
  process.exitCode = await runCli(process.argv.slice(2));
}
