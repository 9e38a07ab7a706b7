import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { makeDirectory } from '../../src/make-directory.js';

const root = mkdtempSync(join(tmpdir(), 'make-directory-'));

test('creates every missing parent, and accepts a folder that exists', () => {
  const deep = join(root, 'a', 'b', 'c');
  makeDirectory(deep);
  assert.ok(statSync(deep).isDirectory());
  makeDirectory(deep);
  makeDirectory(join(root, 'a'));
  assert.ok(statSync(deep).isDirectory());
});

test('a file in the way is an error naming it', () => {
  const file = join(root, 'plain-file');
  writeFileSync(file, 'x');
  assert.throws(() => makeDirectory(file), /not a directory.*plain-file/);
  assert.throws(() => makeDirectory(join(file, 'below')), /ENOTDIR/);
});

test('a folder that cannot be made fails at once (Node recursive mkdir loops under /proc)', () => {
  if (!existsSync('/proc/self')) return;
  assert.throws(
    () => makeDirectory('/proc/no-such-folder/deeper'),
    /ENOENT.*\/proc\/no-such-folder/,
  );
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
