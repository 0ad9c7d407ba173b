import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding package.json: templates/, public/ and seed/ are read from here, never from src/. */
function findAppRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no package.json above ${start}`);
    }
    dir = parent;
  }
  return dir;
}

export const appRoot = findAppRoot(__dirname);
