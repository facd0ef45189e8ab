import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { resolveConfig, validateConfig } from './resolve-config.js';
import { validatePriceOverrides } from './price-overrides.js';
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

// Stands for the cost monitor's `modelPriceSchema` (the real one is checked in @ragbridge/runtime).
const priceSchema = z.strictObject({ backend: z.string().optional(), modelId: z.string(), provider: z.string().optional(), perRequest: z.number().nonnegative().optional() });

describe("validatePriceOverrides: prices.overrides against the cost monitor's price schema", () => {
  it('maps `model` and configuration backend names to the cost monitor\'s, and names wrong fields as written', () => {
    const config = validateConfig({ prices: { overrides: [{ backend: 'hf-inference', model: 'BAAI/bge-small-en-v1.5', provider: 'hf-inference', perRequest: 0.0001 }, { model: '*', perRequest: 0 }] } });
    expect(validatePriceOverrides(config, priceSchema)).toEqual([
      { backend: 'hf-inference-providers', modelId: 'BAAI/bge-small-en-v1.5', provider: 'hf-inference', perRequest: 0.0001 },
      { modelId: '*', perRequest: 0 },
    ]);
    const wrong = validateConfig({ prices: { overrides: [{ backend: 'hf-tei', perRequest: -1, currency: 'EUR' }] } });
    expect(errorOf(() => validatePriceOverrides(wrong, priceSchema)).issues).toEqual([
      { path: 'prices.overrides[0].model', message: 'is required (string)' },
      { path: 'prices.overrides[0].perRequest', message: 'must be >=0, got -1' },
      { path: 'prices.overrides[0]', message: 'unknown key "currency" (allowed: backend, model, provider, perRequest)' },
    ]);
  });
});
