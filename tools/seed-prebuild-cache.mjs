#!/usr/bin/env node
// Puts the better-sqlite3 binary `npm ci` just compiled where prebuild-install looks before it
// downloads one (npm's cache, `_prebuilds/`), as the tarball GitHub would have served.
//
// Where GitHub is reachable, better-sqlite3's install downloads a prebuilt binary; here it is not,
// so every install compiles SQLite from source (~1-2 minutes on 2 cores). CI installs the same
// version again (the Space build's `npm ci`); with the cache seeded that install unpacks this
// binary, as it would unpack the download, instead of compiling it again. Nothing else changes.
//
//   node tools/seed-prebuild-cache.mjs      (after npm ci, from the repository root)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'node_modules', 'better-sqlite3', 'package.json'));
const moduleDir = join(root, 'node_modules', 'better-sqlite3');
const binary = join(moduleDir, 'build', 'Release', 'better_sqlite3.node');
if (!existsSync(binary)) {
  console.log(`seed-prebuild-cache: no compiled ${binary}; nothing to seed`);
  process.exit(0);
}
const pkg = require('./package.json');
const rc = require('prebuild-install/rc')(pkg);
const util = require('prebuild-install/util');
const url = util.getDownloadUrl({ ...rc, pkg });
const cached = util.cachedPrebuild(url);
if (existsSync(cached)) {
  console.log(`seed-prebuild-cache: ${cached} is there already`);
  process.exit(0);
}
mkdirSync(dirname(cached), { recursive: true });
// The layout of better-sqlite3's release tarballs: build/Release/better_sqlite3.node.
execFileSync('tar', ['-czf', cached, '-C', moduleDir, 'build/Release/better_sqlite3.node']);
console.log(`seed-prebuild-cache: better-sqlite3 ${pkg.version} for ${url.split('/').pop()} → ${cached}`);
