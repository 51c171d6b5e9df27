import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDockerfile } from '../support/dockerfile.js';
import { hostCgroups, image, podman, podmanRunFlags } from './support/podman.js';

/**
 * The image scripts/build-image.sh built, against what deploy/Dockerfile declares: the same
 * config, the same paths under the working directory, the same Node, user and group. Read
 * from inside the image, as its user, by support/image-probe.mjs.
 */

interface ImageConfig {
  User: string;
  WorkingDir: string;
  Entrypoint: string[];
  Env: string[];
}

interface Probe {
  nodeVersion: string;
  uid: number;
  gid: number;
  user: string;
  group: string;
  cwd: string;
  children: Record<string, string[]>;
  files: string[];
  packages: string[];
  unreadable: string[];
  appWritable: boolean;
  appOwner: number;
}

const repo = new URL('../../', import.meta.url);
const declared = readDockerfile(new URL('deploy/Dockerfile', repo));
let config: ImageConfig;
let probe: Probe;

beforeAll(async () => {
  const inspected = await podman(['image', 'inspect', image]).catch((error: Error) => {
    throw new Error(`${error.message}\nbuild it first: bash scripts/build-image.sh`);
  });
  config = (JSON.parse(inspected) as Array<{ Config: ImageConfig }>)[0]?.Config as ImageConfig;
  const out = await podman(
    [
      'run',
      '--rm',
      '-i',
      ...podmanRunFlags(hostCgroups()),
      '--entrypoint',
      'node',
      image,
      '--input-type=module',
      '-',
    ],
    { input: readFileSync(new URL('support/image-probe.mjs', import.meta.url), 'utf8') },
  );
  probe = JSON.parse(out) as Probe;
});

/** Source files below `dir`, relative to the checkout. */
function sources(dir: string): string[] {
  return readdirSync(new URL(dir, repo), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) =>
      posix.relative(new URL(repo).pathname, posix.join(entry.parentPath, entry.name)),
    );
}

describe(`${image} against deploy/Dockerfile`, () => {
  it('has the user, working directory, entrypoint and env the Dockerfile declares', () => {
    expect(config.User).toBe(declared.user);
    expect(config.WorkingDir).toBe(declared.workdir);
    expect(config.Entrypoint).toEqual(declared.entrypoint);
    for (const [name, value] of Object.entries(declared.env)) {
      expect(config.Env).toContain(`${name}=${value}`);
    }
    // The entrypoint's `node` is found where the base image puts it.
    const path = config.Env.find((entry) => entry.startsWith('PATH='));
    expect(path?.split(/[=:]/)).toContain('/usr/local/bin');
  });

  it("runs Node at the base image's version, as the user and group the Dockerfile creates", () => {
    const version = declared.globalArgs.NODE_IMAGE?.match(/^node:([0-9.]+)-/)?.[1];
    expect(probe.nodeVersion).toBe(`v${version}`);
    expect(`${probe.uid}:${probe.gid}`).toBe(declared.user);
    expect(probe.user).toBe('fledge');
    expect(probe.group).toBe('fledge');
    expect(probe.cwd).toBe(declared.workdir);
  });

  it('holds exactly the paths the Dockerfile copies under its working directory', () => {
    const copied = declared.copies.map((path) => posix.relative(declared.workdir, path));
    // Every directory on the way to a copied path holds those paths and nothing else.
    const parents = new Set(copied.map((path) => posix.dirname(path)));
    for (const parent of parents) {
      const expected = copied
        .filter((path) => posix.dirname(path) === parent)
        .map((path) => posix.basename(path));
      const present = probe.children[posix.join(declared.workdir, parent)];
      expect(new Set(present), parent).toEqual(new Set([...expected, ...nested(copied, parent)]));
    }
  });

  it('holds the compiled sources, bin/ and crds/ of this checkout', () => {
    const compiled = [...sources('src'), ...sources('machines')]
      .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
      .map((path) => `dist/${path.replace(/\.ts$/, '.js')}`);
    for (const file of compiled) expect(probe.files).toContain(file);
    for (const file of [...sources('bin'), ...sources('crds')]) expect(probe.files).toContain(file);
  });

  it('holds the production dependencies of package-lock.json and no development one', () => {
    const lock = JSON.parse(readFileSync(new URL('package-lock.json', repo), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const topLevel = Object.entries(lock.packages).filter(([path]) =>
      /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path),
    );
    const production = topLevel.filter(([, entry]) => !entry.dev).map(([path]) => path.slice(13));
    expect(new Set(probe.packages)).toEqual(new Set(production));
  });

  it('keeps its code owned by root: readable by the user, not writable', () => {
    expect(probe.appOwner).toBe(0);
    expect(probe.unreadable).toEqual([]);
    expect(probe.appWritable).toBe(false);
  });

  it('runs the fledge CLI as its entrypoint', async () => {
    const out = await podman(['run', '--rm', ...podmanRunFlags(hostCgroups()), image, '--version']);
    expect(out.trim()).toBe(
      (JSON.parse(readFileSync(new URL('package.json', repo), 'utf8')) as { version: string })
        .version,
    );
  });
});

/** Directories under `parent` that lead to a copied path deeper down (dist for dist/src). */
function nested(copied: string[], parent: string): string[] {
  const prefix = parent === '.' ? '' : `${parent}/`;
  return [
    ...new Set(
      copied
        .filter((path) => path.startsWith(prefix) && posix.dirname(path) !== parent)
        .map((path) => path.slice(prefix.length).split('/')[0] as string),
    ),
  ];
}
