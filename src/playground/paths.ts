import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `${FLEDGE_HOME:-~/.fledge}/playground/<name>`: everything one playground writes. */
export function playgroundStateDir(name: string): string {
  const home = process.env.FLEDGE_HOME ?? path.join(homedir(), '.fledge');
  return path.join(home, 'playground', name);
}

/**
 * The checkout (or installed package) this module belongs to, found by walking up to
 * package.json, so that data files resolve the same from src/ under vitest and from dist/.
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}
