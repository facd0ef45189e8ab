import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Lints code placed (virtually) inside each package and checks that wrong imports fail.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('module boundaries are enforced by lint', () => {
  it('an adapter importing another adapter fails', async () => {
    const errors = await lint('packages/adapter-ollama/src/wrong.ts', "import { x } from '@ragbridge/adapter-hf';\nexport const y = x;\n");
    expect(errors.join('\n')).toMatch(/@nx\/enforce-module-boundaries.*type:adapter.*type:contracts/s);
  });

  it('core-interfaces importing any package of ours fails', async () => {
    const errors = await lint('packages/core-interfaces/src/wrong.ts', "import { x } from '@ragbridge/resilience';\nexport const y = x;\n");
    expect(errors.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it('a library importing an adapter fails', async () => {
    const errors = await lint('packages/resilience/src/wrong.ts', "import { x } from '@ragbridge/adapter-ollama';\nexport const y = x;\n");
    expect(errors.join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
  });

  it('the composition root may use adapters and libraries, but no library or adapter may use it', async () => {
    const adapters = "import { createHfChatModel } from '@ragbridge/adapter-hf';\nimport { createPipeline } from '@ragbridge/pipeline';\nexport const y = [createHfChatModel, createPipeline];\n";
    expect(await lint('packages/runtime/src/ok.ts', adapters)).toEqual([]);
    const runtime = "import { createRuntime } from '@ragbridge/runtime';\nexport const y = createRuntime;\n";
    expect((await lint('packages/pipeline/src/wrong.ts', runtime)).join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
    expect((await lint('packages/adapter-hf/src/wrong.ts', runtime)).join('\n')).toMatch(/@nx\/enforce-module-boundaries/);
    expect(await lint('apps/demo/src/ok.ts', runtime)).toEqual([]);
  });

  it('adapters and libraries may use the shared PostgreSQL plumbing, which may use nothing but the contracts', async () => {
    const plumbing = "import { openPostgresDatabase } from '@ragbridge/postgres-connection';\nexport const y = openPostgresDatabase;\n";
    expect(await lint('packages/store-postgres/src/ok.ts', plumbing)).toEqual([]);
    expect(await lint('packages/caches/src/postgres/ok.ts', plumbing)).toEqual([]);
    const library = "import { withRetry } from '@ragbridge/resilience';\nexport const y = withRetry;\n";
    expect((await lint('packages/postgres-connection/src/wrong.ts', library)).join('\n')).toMatch(/@nx\/enforce-module-boundaries.*type:infra.*type:contracts/s);
    const adapter = "import { createHfChatModel } from '@ragbridge/adapter-hf';\nexport const y = createHfChatModel;\n";
    expect((await lint('packages/postgres-connection/src/wrong.ts', adapter)).join('\n')).toMatch(/@nx\/enforce-module-boundaries.*type:infra/s);
  });

  it('published code importing the private testkit fails, while a test file may', async () => {
    const source = "import { startFakeTei } from '@ragbridge/testkit';\nexport const y = startFakeTei;\n";
    expect((await lint('packages/adapter-hf/src/wrong.ts', source)).join('\n')).toMatch(/testkit is private/);
    expect(await lint('packages/adapter-hf/src/hf-embedder.test.ts', source)).toEqual([]);
  });

  it('deep imports into another package fail', async () => {
    const errors = await lint('packages/pipeline/src/wrong.ts', "import { x } from '@ragbridge/core-interfaces/src/errors';\nexport const y = x;\n");
    expect(errors.join('\n')).toMatch(/public entry point/);
  });

  it('allowed imports pass: adapters and libraries use the contracts', async () => {
    const source = "import { RateLimitError } from '@ragbridge/core-interfaces';\nexport const y = RateLimitError;\n";
    expect(await lint('packages/adapter-hf/src/ok.ts', source)).toEqual([]);
    expect(await lint('packages/pipeline/src/ok.ts', source)).toEqual([]);
  });
});
