import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The question sets asked, from the repository root: the 120 dev questions and the PostgreSQL 15 manual's 48. */
export const DEFAULT_QUESTION_FILES = ['../shared/eval/dev-qa.json', '../shared/eval/dev-qa-extra.json', 'docs/eval/postgresql-15-qa.json'];

/** Questions of a set of QA files (`[{ question }]`), with the files that were missing. */
export function loadQuestions(root: string, files: readonly string[]): { questions: string[]; read: Array<{ file: string; questions: number }>; missing: string[] } {
  const questions: string[] = [];
  const read: Array<{ file: string; questions: number }> = [];
  const missing: string[] = [];
  for (const file of files) {
    const path = join(root, file);
    if (!existsSync(path)) {
      missing.push(file);
      continue;
    }
    const items = JSON.parse(readFileSync(path, 'utf8')) as Array<{ question?: unknown }>;
    const found = items.flatMap((item) => (typeof item.question === 'string' && item.question.trim() ? [item.question] : []));
    questions.push(...found);
    read.push({ file, questions: found.length });
  }
  return { questions, read, missing };
}
