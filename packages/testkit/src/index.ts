export type { FakeContext, FakeRoute, FakeServerOptions, FaultRule, RecordedRequest } from './fake-server.js';
export { FakeServer } from './fake-server.js';
export type { FaultPresets } from './fault-harness.js';
export { fakeServerFaults, OPTIONAL_FAULT_KINDS, TRANSPORT_FAULTS } from './fault-harness.js';
export type { FakeHfModel, FakeHfOptions } from './hf-fake.js';
export type { FakeHfChatBehaviour } from './hf-fake-chat.js';
export { FAKE_REASONING } from './hf-fake-chat.js';
export { DEFAULT_FAKE_HF_MODELS, FAKE_ROUTER_PRICES, fakeProviderModelId, fetchToFake, hfFaultPresets, startFakeHf } from './hf-fake.js';
export type { FakeTeiOptions } from './tei-fake.js';
export { startFakeTei, teiFaultPresets } from './tei-fake.js';
export type { FakeOllamaModel, FakeOllamaOptions } from './ollama-fake.js';
export { DEFAULT_OLLAMA_MODELS, ollamaFaultPresets, startFakeOllama } from './ollama-fake.js';
export type { FakeServicesOptions, RunningFakeServices } from './fake-services.js';
export { startFakeServices } from './fake-services.js';
export type { OtlpReceiver, OtlpValue, ReceivedExport, ReceivedSpan } from './otlp-receiver.js';
export { startOtlpReceiver } from './otlp-receiver.js';
// The PDF writer lives in the published @ragbridge/sample-corpus; tests keep importing it from here.
export type { PdfLine, PdfOutlineEntry, PdfPage, PdfPlacedText, SimplePdfOptions } from '@ragbridge/sample-corpus';
export { markdownToPdfPages, writeSimplePdf } from '@ragbridge/sample-corpus';
