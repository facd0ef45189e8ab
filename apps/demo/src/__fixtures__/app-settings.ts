import type { AppSettings } from '../settings.js';

/** App settings for tests: local, small uploads (200 KB), 4 answer slots, a high rate limit, no CORS. */
export function testAppSettings(uploadDir: string, adminToken: string, overrides: Partial<AppSettings> = {}): AppSettings {
  return {
    host: '127.0.0.1',
    port: 0,
    maxUploadBytes: 200 * 1024,
    maxConcurrentRequests: 4,
    requestTimeoutMs: 30_000,
    adminToken,
    rateLimitPerMinute: 100_000,
    uploadDir,
    corsOrigins: [],
    ...overrides,
  };
}

/** A short Markdown document about the machine timer, for tests that need one answerable text. */
export const TIMER_MARKDOWN = [
  '# Machine timer',
  '',
  'The mtimecmp register holds the compare value of the machine timer.',
  'A timer interrupt becomes pending when mtime is greater than or equal to mtimecmp.',
].join('\n');
