/**
 * Creating output folders. Node's `mkdir(dir, { recursive: true })` never returns where mkdir
 * fails with ENOENT under a parent that exists (under /proc, for one): it retries the parent
 * forever. This walks up to the nearest existing ancestor and creates each missing folder below
 * it once, so every failure is an ordinary error naming the path.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Creates `dir` and any missing parents; an existing folder is fine. */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let path = resolve(dir);
  while (!exists(path)) {
    missing.push(path);
    const parent = dirname(path);
    if (parent === path) break;
    path = parent;
  }
  for (const folder of missing.reverse()) mkdirSync(folder);
  if (!statSync(resolve(dir)).isDirectory()) {
    throw new Error(`ENOTDIR: not a directory, '${dir}'`);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
