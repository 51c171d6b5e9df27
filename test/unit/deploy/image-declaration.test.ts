import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDockerfile, readDockerfile } from '../../support/dockerfile.js';

const repoFile = (name: string) => new URL(`../../../${name}`, import.meta.url);
const dockerfile = readDockerfile(repoFile('deploy/Dockerfile'));
const buildScript = readFileSync(repoFile('scripts/build-image.sh'), 'utf8');
const scriptValue = (name: string) => buildScript.match(new RegExp(`^${name}=(\\S+)$`, 'm'))?.[1];

describe('parseDockerfile', () => {
  it.each([
    [
      'relative COPY destinations under WORKDIR, one path per source of a directory destination',
      'FROM a\nWORKDIR /app\nCOPY x.json y.json ./\nCOPY --from=build /src/dist/src ./dist/src',
      ['/app/x.json', '/app/y.json', '/app/dist/src'],
    ],
    ['absolute destinations as written', 'FROM a\nWORKDIR /app\nCOPY bin /opt/bin', ['/opt/bin']],
  ])('reads %s', (_, text, copies) => {
    expect(parseDockerfile(text).copies).toEqual(copies);
  });

  it('reads the final stage only, with global ARGs in FROM and continued lines joined', () => {
    const parsed = parseDockerfile(
      [
        'ARG BASE=img@sha256:ab',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile's own substitution
        'FROM ${BASE} AS build',
        'USER 1',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile's own substitution
        'FROM ${BASE}',
        '# note',
        'RUN a \\',
        '  && b',
        'USER 2:3',
        'ENV A=1 B=x=y',
        'ENTRYPOINT ["n", "/m"]',
      ].join('\n'),
    );
    expect(parsed).toMatchObject({
      bases: ['img@sha256:ab', 'img@sha256:ab'],
      user: '2:3',
      env: { A: '1', B: 'x=y' },
      entrypoint: ['n', '/m'],
      runs: ['a && b'],
    });
  });

  it('refuses an instruction it does not know, so that the comparison cannot miss it', () => {
    expect(() => parseDockerfile('FROM a\nVOLUME /data')).toThrow(/VOLUME/);
  });
});

describe('deploy/Dockerfile', () => {
  it('pins every base image by digest', () => {
    expect(dockerfile.bases.length).toBeGreaterThan(0);
    for (const base of dockerfile.bases) expect(base).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('runs as a non-root user and group of its own, both numeric, created with those ids', () => {
    const [uid, gid] = dockerfile.user.split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(Number(gid)).toBeGreaterThan(0);
    const creation = dockerfile.runs.join(' ');
    expect(creation).toMatch(new RegExp(`groupadd .*--gid ${gid} fledge`));
    expect(creation).toMatch(new RegExp(`useradd .*--uid ${uid} --gid fledge .*fledge$`));
  });

  it('declares what scripts/build-image.sh builds: Node version, user and group', () => {
    const baseTag = dockerfile.globalArgs.NODE_IMAGE?.match(/^node:([0-9.]+)-/)?.[1];
    expect(baseTag).toBe(scriptValue('node_version'));
    expect(dockerfile.user).toBe(`${scriptValue('uid')}:${scriptValue('gid')}`);
  });

  it('is sent exactly the sources it copies from the build context (.dockerignore)', () => {
    const ignore = readFileSync(repoFile('.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.slice(1).map((line) => line.replace(/^!/, ''));
    const text = readFileSync(repoFile('deploy/Dockerfile'), 'utf8');
    const fromContext = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) =>
      (match[1] ?? '').split(/\s+/),
    );
    expect(new Set(allowed)).toEqual(new Set(fromContext));
  });
});
