import { formatDuration, parseGoDuration } from '../api/duration.js';
import { FIELD_LIMITS as LIMITS } from '../loadtester/limits.js';
import { LOAD_DEFAULTS, METHODS, parseLoadMetadata } from '../loadtester/metadata.js';
import { shellWords } from './shell-words.js';

/** A `hey` command as fledge loadtester metadata, with what could not be carried over. */
export type HeyConversion =
  | { ok: true; metadata: Record<string, string>; notes: string[] }
  | { ok: false; reason: string };

// hey's own defaults (github.com/rakyll/hey): 200 requests over 50 workers, no rate limit.
const HEY_DEFAULTS = { requests: 200, concurrency: 50 } as const;

const VALUE_FLAGS = new Set([
  '-n',
  '-c',
  '-q',
  '-z',
  '-m',
  '-H',
  '-t',
  '-A',
  '-d',
  '-D',
  '-T',
  '-a',
  '-x',
  '-o',
  '-host',
  '-cpus',
]);
const IGNORED: Record<string, string> = {
  '-t': 'a per-request timeout',
  '-x': 'an HTTP proxy',
  '-o': 'an output format',
  '-cpus': 'a CPU count',
  '-h2': 'HTTP/2',
  '-disable-compression': 'disabling compression',
  '-disable-keepalive': 'disabling keep-alive',
  '-disable-redirects': 'disabling redirects',
};

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new HeyError(`${flag} ${text} is not a whole number of 1 or more`);
  return n;
}

class HeyError extends Error {}

/** `value` kept within [min, max], with a note when it had to move. */
function withinLimits(
  value: number,
  min: number,
  max: number,
  say: (kept: number, why: string) => string,
  notes: string[],
): number {
  if (value > max) {
    notes.push(say(max, "the loadtester's maximum"));
    return max;
  }
  if (value < min) {
    notes.push(say(min, "the loadtester's minimum"));
    return min;
  }
  return value;
}

const seconds = (ms: number) => formatDuration(Math.max(1, Math.round(ms)));

/**
 * Reads a Flagger loadtester command such as `hey -z 1m -q 10 -c 2 http://x:8080/` into the
 * autocannon form: hey's -q is per worker, the loadtester's rps is overall, so rps = q × c.
 * What hey asks beyond the loadtester's limits (src/loadtester/metadata.ts) is brought within
 * them, with a note; the result is checked by the loadtester's own metadata parser, so it is
 * never load the loadtester would refuse.
 */
export function convertHey(command: string): HeyConversion {
  try {
    return readHey(command);
  } catch (error) {
    if (error instanceof HeyError) return { ok: false, reason: error.message };
    throw error;
  }
}

function readHey(command: string): HeyConversion {
  const words = shellWords(command.trim());
  if (!words || words.length === 0 || !/(^|\/)hey$/.test(words[0] ?? '')) {
    return { ok: false, reason: 'it is not a single plain `hey` command' };
  }
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!word.startsWith('-')) {
      positional.push(word);
    } else if (VALUE_FLAGS.has(word)) {
      const value = words[++i];
      if (value === undefined) return { ok: false, reason: `${word} has no value` };
      flags.set(word, [...(flags.get(word) ?? []), value]);
    } else if (word in IGNORED) {
      flags.set(word, []);
    } else {
      return { ok: false, reason: `hey has no flag ${word}` };
    }
  }
  const target = positional.at(-1);
  if (positional.length !== 1 || !target || !/^https?:\/\//.test(target)) {
    return { ok: false, reason: 'it does not end with one http:// or https:// URL' };
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, reason: `${target} is not a URL` };
  }
  const last = (flag: string) => flags.get(flag)?.at(-1);
  const notes: string[] = [];
  const headers: string[] = [];
  if (url.username !== '' || url.password !== '') {
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    if (last('-a') === undefined)
      headers.push(`Authorization: Basic ${Buffer.from(user).toString('base64')}`);
    url.username = '';
    url.password = '';
    notes.push(
      'the credentials in the URL became an Authorization header (the loadtester takes none in URLs)',
    );
  }
  const metadata: Record<string, string> = { type: 'autocannon', url: url.href };

  const concurrency = positiveInteger('-c', last('-c')) ?? HEY_DEFAULTS.concurrency;
  const connections = withinLimits(
    concurrency,
    1,
    LIMITS.maxConnections,
    (kept, why) => `-c ${concurrency} became ${kept} connections, ${why}`,
    notes,
  );
  const perWorker = last('-q');
  let rps: number;
  if (perWorker !== undefined) {
    const q = Number(perWorker);
    if (!Number.isFinite(q) || q <= 0) throw new HeyError(`-q ${perWorker} is not a rate above 0`);
    const asked = Math.max(1, Math.round(q * concurrency));
    rps = withinLimits(
      asked,
      1,
      LIMITS.maxRps,
      (kept, why) =>
        `-q ${perWorker} -c ${concurrency} asks ${asked} requests per second; rps became ${kept}, ${why}`,
      notes,
    );
    metadata.rps = String(rps);
    metadata.connections = String(connections);
  } else {
    rps = LOAD_DEFAULTS.rps;
    metadata.connections = String(Math.min(connections, rps));
    notes.push(
      `no -q: hey sends as fast as it can, which the loadtester does not do; it sends its default ${rps} rps (set metadata.rps)`,
    );
  }

  const z = last('-z');
  const clampDuration = (ms: number, what: string) =>
    seconds(
      withinLimits(
        ms,
        LIMITS.minDurationMs,
        LIMITS.maxDurationMs,
        (kept, why) => `${what} became ${seconds(kept)}, ${why}`,
        notes,
      ),
    );
  if (z !== undefined) {
    const ms = parseGoDuration(z);
    if (ms === undefined || !Number.isFinite(ms)) throw new HeyError(`-z ${z} is not a duration`);
    metadata.duration = clampDuration(ms, `-z ${z}`);
  } else {
    const requests = positiveInteger('-n', last('-n')) ?? HEY_DEFAULTS.requests;
    const ms = Math.ceil(requests / rps) * 1000;
    metadata.duration = clampDuration(ms, `-n ${requests} requests at ${rps} rps`);
    if (ms >= LIMITS.minDurationMs && ms <= LIMITS.maxDurationMs) {
      notes.push(`-n ${requests} requests became a duration of ${metadata.duration} at ${rps} rps`);
    }
  }

  const method = last('-m')?.toUpperCase();
  if (method === 'HEAD') {
    metadata.method = 'GET';
    notes.push(
      '-m HEAD became GET: the loadtester cannot send HEAD (autocannon waits for a body a HEAD answer never has); GET puts the same requests on the canary',
    );
  } else if (method !== undefined) {
    if (!METHODS.includes(method)) {
      throw new HeyError(
        `-m ${last('-m')} is a method the loadtester does not send (it sends ${METHODS.join(', ')})`,
      );
    }
    metadata.method = method;
  }
  for (const header of (flags.get('-H') ?? []).map((h) => h.trim())) {
    if (/^host\s*:/i.test(header)) {
      notes.push(
        `-H "${header}" was dropped: the loadtester sets Host from the URL; put that host name in metadata.url`,
      );
    } else headers.push(header);
  }
  const accept = last('-A');
  if (accept !== undefined) headers.push(`Accept: ${accept}`);
  const contentType = last('-T');
  if (contentType !== undefined) headers.push(`Content-Type: ${contentType}`);
  const basic = last('-a');
  if (basic !== undefined) {
    headers.push(`Authorization: Basic ${Buffer.from(basic).toString('base64')}`);
  }
  if (headers.length > 0) metadata.headers = headers.join('\n');
  const body = last('-d');
  if (body !== undefined) metadata.body = body;

  if (flags.has('-D')) notes.push('-D (a body file) was dropped: put the body in metadata.body');
  if (flags.has('-host')) {
    notes.push(
      '-host was dropped: the loadtester sets Host from the URL; put that host name in metadata.url',
    );
  }
  for (const [flag, what] of Object.entries(IGNORED)) {
    if (flags.has(flag)) notes.push(`${flag} (${what}) has no counterpart and was dropped`);
  }
  const check = parseLoadMetadata(metadata);
  if (!check.ok) {
    return {
      ok: false,
      reason: `the loadtester would refuse it: ${check.problem.field} ${check.problem.message}`,
    };
  }
  return { ok: true, metadata, notes };
}
