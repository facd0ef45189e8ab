import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What npm users get from each package: the tarball's contents and the ranges it asks for.
const root = fileURLToPath(new URL('../../../', import.meta.url));
interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const workspaces = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group))
    .filter((d) => existsSync(join(root, group, d, 'package.json')))
    .map((d) => ({ dir: join(root, group, d), manifest: JSON.parse(readFileSync(join(root, group, d, 'package.json'), 'utf8')) as Manifest })),
);
const published = workspaces.filter((w) => !w.manifest.private);
const ours = new Set(workspaces.map((w) => w.manifest.name));
const license = readFileSync(join(root, 'LICENSE'), 'utf8');

describe('published packages', () => {
  it('there are some, and the root LICENSE is MIT', () => {
    expect(published.length).toBeGreaterThan(5);
    expect(license).toMatch(/^MIT License/);
  });

  it.each(workspaces.map((w) => [w.manifest.name, w] as const))('%s: MIT, with the LICENSE file beside its package.json', (_, w) => {
    expect(w.manifest.license).toBe('MIT');
    expect(readFileSync(join(w.dir, 'LICENSE'), 'utf8')).toBe(license);
  });

  it.each(workspaces.map((w) => [w.manifest.name, w] as const))('%s: sibling packages by caret range of their version, never "*"', (_, w) => {
    const versions = new Map(workspaces.map((x) => [x.manifest.name, x.manifest.version]));
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const) {
      for (const [name, range] of Object.entries(w.manifest[field] ?? {})) {
        if (!ours.has(name)) continue;
        expect(range, `${w.manifest.name} ${field} ${name}`).toMatch(/^\^\d+\.\d+\.\d+/);
        expect(range.slice(1), `${w.manifest.name} ${field} ${name} must accept the workspace's version`).toBe(versions.get(name));
      }
    }
  });

  it.each(published.map((w) => [w.manifest.name, w] as const))('%s: the tarball has LICENSE and README, no tests, no fixtures', (_, w) => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: w.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{
      files: Array<{ path: string }>;
    }>;
    const paths = (pack?.files ?? []).map((f) => f.path);
    expect(paths).toContain('LICENSE');
    expect(paths).toContain('README.md');
    expect(paths.filter((p) => /(^|\/)__fixtures__\/|\.test\.[cm]?[jt]sx?$|\.test\.d\.ts/.test(p))).toEqual([]);
  });

  it('the deprecated .npmrc key for onnxruntime-node is not used (the environment variable is)', () => {
    expect(readFileSync(join(root, '.npmrc'), 'utf8')).not.toMatch(/onnxruntime/);
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
  });

  it('every changeset names published packages only (a private or ignored one breaks `changeset version`)', () => {
    const config = JSON.parse(readFileSync(join(root, '.changeset/config.json'), 'utf8')) as { ignore?: string[] };
    const releasable = new Set(published.map((w) => w.manifest.name).filter((n) => !(config.ignore ?? []).includes(n)));
    const files = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(root, '.changeset', file), 'utf8'))?.[1];
      expect(front, `${file} has front matter`).toBeDefined();
      for (const line of (front ?? '').split('\n').filter((l) => l.trim())) {
        const m = /^["']?(@?[^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line.trim());
        expect(m, `${file}: "${line}"`).not.toBeNull();
        expect(releasable.has(m?.[1] ?? ''), `${file} names ${m?.[1]}, which is not a released package`).toBe(true);
      }
    }
  });
});
