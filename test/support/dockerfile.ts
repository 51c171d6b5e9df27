import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

/** What a Dockerfile's final stage declares about the image it makes. */
export interface DeclaredImage {
  /** `ARG` values set before the first `FROM`, which `FROM` lines may use. */
  globalArgs: Record<string, string>;
  /** Every stage's `FROM` image, with global args substituted. */
  bases: string[];
  workdir: string;
  user: string;
  env: Record<string, string>;
  entrypoint: string[];
  /** Absolute destinations of the final stage's COPY instructions. */
  copies: string[];
  /** The final stage's RUN commands. */
  runs: string[];
}

interface Instruction {
  keyword: string;
  rest: string;
}

/** Lines joined at trailing backslashes, comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), rest: rest.join(' ') };
    });
}

const substitute = (value: string, args: Record<string, string>) =>
  value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced, bare) => args[braced ?? bare] ?? '');

/**
 * Reads the instructions fledge's Dockerfile uses (ARG, FROM, WORKDIR, USER, ENV key=value,
 * exec-form ENTRYPOINT, COPY, RUN); anything else is an error, so that a new instruction in
 * deploy/Dockerfile is noticed by the test that compares it with the Docker-less image.
 */
export function parseDockerfile(text: string): DeclaredImage {
  const globalArgs: Record<string, string> = {};
  const bases: string[] = [];
  let stage: Omit<DeclaredImage, 'globalArgs' | 'bases'> | undefined;
  for (const { keyword, rest } of instructions(text)) {
    if (keyword === 'ARG' && !stage) {
      const [name = '', value = ''] = rest.split(/=(.*)/s);
      globalArgs[name] = value;
      continue;
    }
    if (keyword === 'FROM') {
      bases.push(substitute(rest.split(/\s+/)[0] ?? '', globalArgs));
      stage = { workdir: '/', user: '', env: {}, entrypoint: [], copies: [], runs: [] };
      continue;
    }
    if (!stage) throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, rest);
        break;
      case 'USER':
        stage.user = rest;
        break;
      case 'ENV':
        for (const pair of rest.split(/\s+/)) {
          const [name = '', value = ''] = pair.split(/=(.*)/s);
          stage.env[name] = value;
        }
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = JSON.parse(rest) as string[];
        break;
      case 'COPY': {
        const words = rest.split(/\s+/).filter((word) => !word.startsWith('--'));
        const destination = words.at(-1) ?? '';
        const absolute = posix.resolve(stage.workdir, destination);
        const sources = words.slice(0, -1);
        // `COPY a b ./` puts each source under the directory, by its base name.
        if (destination.endsWith('/')) {
          for (const source of sources)
            stage.copies.push(posix.join(absolute, posix.basename(source)));
        } else {
          stage.copies.push(absolute);
        }
        break;
      }
      case 'RUN':
        stage.runs.push(rest);
        break;
      default:
        throw new Error(`Dockerfile: ${keyword} is not one this parser knows`);
    }
  }
  if (!stage) throw new Error('Dockerfile: no FROM');
  return { globalArgs, bases, ...stage };
}

export const readDockerfile = (url: URL) => parseDockerfile(readFileSync(url, 'utf8'));
