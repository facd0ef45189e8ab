import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { resolveConfig, validateConfig } from './resolve-config.js';
import { validateStepOptions, type StepOptionsSchemaOf } from './step-options.js';

// Stands for an adapter package's exported step-options schema (the real ones are checked in @ragbridge/runtime).
const chatOptions = z.strictObject({ numCtx: z.number().int().positive().optional(), temperature: z.number().min(0).optional() });
const schemas: StepOptionsSchemaOf = (part, backend) => (part === 'answer' && backend === 'ollama' ? chatOptions : undefined);

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('validateStepOptions: each step\'s options against the schema its adapter declares', () => {
  it('names the exact option, what is allowed, and passes the parsed options on', () => {
    const config = validateConfig({ models: { answer: { chain: [{ backend: 'ollama', model: 'm', options: { temprature: 0.2, numCtx: -1 } }] } } });
    const error = errorOf(() => validateStepOptions(config, schemas));
    expect(error.issues).toEqual([
      { path: 'models.answer.chain[0].options.numCtx', message: 'must be >0, got -1' },
      { path: 'models.answer.chain[0].options', message: 'unknown key "temprature" (allowed: numCtx, temperature)' },
    ]);
    const good = validateConfig({ models: { answer: { chain: [{ backend: 'ollama', model: 'm', options: { numCtx: 8192 } }] } } });
    expect(validateStepOptions(good, schemas).models.answer.chain[0]).toMatchObject({ options: { numCtx: 8192 } });
  });

  it('leaves steps whose schema is unknown (package not installed) and the extractive step as they are', () => {
    const config = validateConfig({
      models: { answer: { chain: [{ backend: 'transformersjs', model: 't', options: { anything: 1 } }, { backend: 'extractive', options: { sentences: 2 } }] } },
    });
    expect(validateStepOptions(config, schemas).models).toEqual(config.models);
  });

  it('says which file set a wrong option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rb-step-options-'));
    try {
      await writeFile(join(dir, 'ragbridge.yaml'), 'extends: offline\nmodels:\n  answer:\n    chain:\n      - backend: ollama\n        model: m\n        options: { numCtx: 0 }\n');
      const resolved = await resolveConfig({ cwd: dir, env: {} });
      const error = errorOf(() => validateStepOptions(resolved, schemas));
      expect(error.issues).toEqual([{ path: 'models.answer.chain[0].options.numCtx', message: 'must be >0, got 0', source: 'ragbridge.yaml' }]);
      expect(error.message).toContain('models.answer.chain[0].options.numCtx: must be >0, got 0 (from ragbridge.yaml)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
