import type { RuntimeLogger } from '@ragbridge/runtime';

/** An error detail longer than this is written out once; later lines that carry it say "as above". */
const LONG_DETAIL = 80;

/** A `(SomeError: message)` part of a line, as the runtime and compare describe a failure. */
interface ErrorDetail {
  start: number;
  /** Just past the closing parenthesis. */
  end: number;
  name: string;
  /** `SomeError: message`, without the parentheses. */
  text: string;
}

/** Index just past the parenthesis that closes the one at `open`, or -1 when it is not closed. */
function closingParen(line: string, open: number): number {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    if (line[i] === '(') depth++;
    else if (line[i] === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

/** The error details of a line, in order (messages hold parentheses of their own, so they are matched). */
function errorDetails(line: string): ErrorDetail[] {
  const found: ErrorDetail[] = [];
  const opener = /\((\w*Error): /g;
  for (let m = opener.exec(line); m; m = opener.exec(line)) {
    const end = closingParen(line, m.index);
    if (end < 0) break;
    found.push({ start: m.index, end, name: m[1] as string, text: line.slice(m.index + 1, end - 1) });
    opener.lastIndex = end;
  }
  return found;
}

/**
 * Shortens lines one after the other: the first line that carries a long error detail keeps it
 * whole (its advice is at the end), later lines carrying the same detail say `(SomeError, as above)`.
 */
export function createDetailShortener(): (line: string) => string {
  const seen = new Set<string>();
  return (line) => {
    let out = '';
    let at = 0;
    for (const detail of errorDetails(line)) {
      out += line.slice(at, detail.start);
      const repeated = detail.text.length > LONG_DETAIL && seen.has(detail.text);
      out += repeated ? `(${detail.name}, as above)` : line.slice(detail.start, detail.end);
      seen.add(detail.text);
      at = detail.end;
    }
    return out + line.slice(at);
  };
}

/** A message on one line: runs of white space (line breaks included) become one space. */
const oneLine = (message: string): string => message.replace(/\s+/g, ' ').trim();

/**
 * The runtime's log for a command that prints as it goes: each distinct warning once on `stream`,
 * on one line, a long error detail written out only the first time; no info.
 */
export function cliLogger(stream: NodeJS.WritableStream = process.stderr): RuntimeLogger {
  const printed = new Set<string>();
  const shorten = createDetailShortener();
  return {
    warn(message) {
      const line = oneLine(message);
      if (printed.has(line)) return;
      printed.add(line);
      stream.write(`ragbridge: warning: ${shorten(line)}\n`);
    },
    info() {
      // Recoveries and budget resets: a command is too short-lived for them to matter.
    },
  };
}

/** Kinds of lines a {@link WarningTally} keeps. */
export type TallyKind = 'warning' | 'note';

/** Warnings and notes a command collects from several runtimes and prints once at its end. */
export interface WarningTally {
  /** For `createRuntime`'s `logger` (every runtime of the command may share it): warnings are kept, info dropped. */
  readonly logger: RuntimeLogger;
  add(kind: TallyKind, message: string): void;
  /**
   * Writes what was collected and forgets it: each distinct line once, in the order first seen,
   * `(×N)` after one that came N times, a long error detail written out only the first time.
   */
  flush(stream: NodeJS.WritableStream): void;
}

/** A {@link WarningTally}. */
export function createWarningTally(): WarningTally {
  const counts = new Map<string, { kind: TallyKind; line: string; count: number }>();
  const add = (kind: TallyKind, message: string): void => {
    const line = oneLine(message);
    const key = `${kind}\u0000${line}`;
    const entry = counts.get(key) ?? { kind, line, count: 0 };
    entry.count++;
    counts.set(key, entry);
  };
  return {
    logger: { warn: (message) => add('warning', message), info: () => undefined },
    add,
    flush(stream) {
      const shorten = createDetailShortener();
      for (const { kind, line, count } of counts.values()) {
        stream.write(`ragbridge: ${kind}: ${shorten(line)}${count > 1 ? ` (×${count})` : ''}\n`);
      }
      counts.clear();
    },
  };
}
