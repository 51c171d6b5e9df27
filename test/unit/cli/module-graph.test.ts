import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fledge-module-graph-'));
  // A resolve hook that writes down every module the process loads.
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.FLEDGE_MODULE_LOG, resolved.url + '\\n');
  return resolved;
}
`,
  );
  writeFileSync(
    path.join(dir, 'register.mjs'),
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The npm packages `fledge <args>` loads, from the compiled tree `npm test` builds first. */
function packagesLoadedBy(args: string[]): Set<string> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const log = path.join(dir, `${args.join('-')}.log`);
  execFileSync(process.execPath, ['--import', path.join(dir, 'register.mjs'), cli, ...args], {
    env: { ...process.env, FLEDGE_MODULE_LOG: log },
    stdio: 'pipe',
  });
  const packages = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1]) packages.add(match[1]);
  }
  return packages;
}

describe('what the fledge CLI loads', () => {
  // client-node alone took a bare Node from 41 to 109 MiB of RSS, autocannon and its
  // histograms another 40: the controller runs from this CLI and has 256 MiB in all.
  it('runs the controller without @kubernetes/client-node and without the load generator', () => {
    const packages = packagesLoadedBy(['controller', '--help']);
    expect(packages).toContain('xstate');
    expect(packages).not.toContain('@kubernetes/client-node');
    expect(packages).not.toContain('autocannon');
    expect(packages).not.toContain('hdr-histogram-js');
  });
});
