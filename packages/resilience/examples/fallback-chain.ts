/**
 * A fallback chain over two in-memory chat models with injected faults: a hosted model that
 * fails, and a local one that answers. Run from the repository root:
 *
 *   node --conditions=@ragbridge/source --import tsx packages/resilience/examples/fallback-chain.ts
 */
import { getStreamInterruption, createFallbackChatModel, createResilienceRegistry } from '@ragbridge/resilience';
import { createMockChatModel, MockFaults } from '@ragbridge/core-interfaces/testing';

const hostedFaults = new MockFaults();
const hosted = createMockChatModel({ backend: 'hf-inference-providers', modelId: 'openai/gpt-oss-20b', faults: hostedFaults });
const local = createMockChatModel({ backend: 'ollama', modelId: 'llama3.2:3b' });

const registry = createResilienceRegistry({
  breaker: { minimumCalls: 3, openMs: 30_000 },
  concurrency: { ollama: 1 },
  onEvent: (e) => console.log(`  event: ${e.type}`, 'to' in e ? `${e.from} → ${e.to}` : ''),
});
const chat = createFallbackChatModel([hosted, local], {
  registry,
  timeoutMs: 30_000,
  retry: { maxAttempts: 2, initialDelayMs: 100, maxRetryAfterMs: 2_000 },
  onEvent: (e) => console.log(`  event: ${e.type}`, 'step' in e ? `step ${e.step}` : ''),
});

const question = {
  messages: [{ role: 'user' as const, content: 'Sources:\n[1] RV32I has 32 general-purpose registers.\n\nQuestion: How many registers does RV32I have?' }],
};

console.log('1. The hosted model answers:');
console.log(`  ${(await chat.generate(question)).text}`);

console.log('2. The hosted model returns 429 with Retry-After: 7 s (longer than maxRetryAfterMs), so the local one answers:');
hostedFaults.inject('rate-limit-retry-after');
const fallback = await chat.generate(question);
console.log(`  step ${fallback.usage.fallbackStep} (${fallback.usage.backend}): ${fallback.text}`);

console.log('3. After repeated failures the breaker opens and the hosted model is skipped without a call:');
hostedFaults.inject('server-error');
for (let i = 0; i < 3; i++) await chat.generate(question);
console.log(`  breakers: ${registry.snapshot().breakers.map((b) => `${b.key}=${b.state}`).join(', ')}`);

console.log('4. A stream cut after its first delta ends with a typed error instead of splicing models:');
hostedFaults.inject('drop-mid-stream');
registry.breaker('hf-inference-providers:openai/gpt-oss-20b').reset();
let text = '';
try {
  for await (const part of chat.stream(question)) if (part.type === 'text-delta') text += part.delta;
} catch (error) {
  console.log(`  got "${text}" then ${(error as Error).name}; interruption: ${JSON.stringify(getStreamInterruption(error))}`);
}
