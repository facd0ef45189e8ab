import { existsSync } from 'node:fs';

/**
 * The system Chromium the browser tests drive (Debian's `chromium`, installed by `.ci/run`; no
 * browser download). `CHROMIUM_PATH` overrides. Undefined when none is installed.
 */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p): p is string => Boolean(p) && existsSync(p as string));
}
