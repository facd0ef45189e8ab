import { describe, it } from 'vitest';
import { unsupportedReason, type ConformanceCheck, type ConformanceOptions } from './conformance-core.js';

/** Registers checks as vitest tests; unsupported ones are reported as skipped with the reason. */
export function registerConformanceChecks(
  title: string,
  checks: readonly ConformanceCheck[],
  options: ConformanceOptions<unknown> & { quotesContext?: boolean },
): void {
  describe(title, () => {
    for (const check of checks) {
      const reason = unsupportedReason(check, options);
      const name = `${check.id}: ${check.description}`;
      if (reason) {
        it.skip(`${name} (skipped: ${reason})`, () => undefined);
        continue;
      }
      it(
        name,
        async () => {
          await options.faults?.clear();
          await check.run();
        },
        options.timeoutMs ?? 15_000,
      );
    }
  });
}
