import { unsupportedReason, type ConformanceCheck, type ConformanceOptions } from './conformance-core.js';

// vitest is an optional peer: the checks (`*ConformanceChecks`) run without it, so it is loaded
// only if installed, and only the `describe*Conformance` helpers need it.
const vitest: typeof import('vitest') | undefined = await import('vitest').catch(() => undefined);

/** Registers checks as vitest tests; unsupported ones are reported as skipped with the reason. */
export function registerConformanceChecks(
  title: string,
  checks: readonly ConformanceCheck[],
  options: ConformanceOptions<unknown> & { quotesContext?: boolean; secondHandle?: boolean },
): void {
  if (!vitest) throw new Error('describe*Conformance registers vitest tests: install vitest, or run the checks from *ConformanceChecks() yourself');
  const { describe, it } = vitest;
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
