import { formatDuration, parseGoDuration } from '../api/duration.js';
import { LOAD_DEFAULTS } from '../loadtester/metadata.js';
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

function positiveInteger(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Reads a Flagger loadtester command such as `hey -z 1m -q 10 -c 2 http://x:8080/` into the
 * autocannon form: hey's -q is per worker, the loadtester's rps is overall, so rps = q × c.
 */
export function convertHey(command: string): HeyConversion {
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
  const url = positional.at(-1);
  if (positional.length !== 1 || !url || !/^https?:\/\//.test(url)) {
    return { ok: false, reason: 'it does not end with one http:// or https:// URL' };
  }
  const last = (flag: string) => flags.get(flag)?.at(-1);
  const notes: string[] = [];
  const metadata: Record<string, string> = { type: 'autocannon', url };

  const concurrency = positiveInteger(last('-c')) ?? HEY_DEFAULTS.concurrency;
  const perWorker = Number(last('-q'));
  let rps: number;
  if (last('-q') !== undefined && perWorker > 0) {
    rps = Math.max(1, Math.round(perWorker * concurrency));
    metadata.rps = String(rps);
    metadata.connections = String(concurrency);
  } else {
    rps = LOAD_DEFAULTS.rps;
    metadata.connections = String(Math.min(concurrency, rps));
    notes.push(
      `no -q: hey sends as fast as it can, which the loadtester does not do; it sends its default ${rps} rps (set metadata.rps)`,
    );
  }

  const z = last('-z');
  if (z !== undefined) {
    const ms = parseGoDuration(z);
    if (ms === undefined || ms < 1000)
      return { ok: false, reason: `-z ${z} is not a duration of 1s or more` };
    metadata.duration = formatDuration(Math.round(ms));
  } else {
    const requests = positiveInteger(last('-n')) ?? HEY_DEFAULTS.requests;
    const seconds = Math.max(1, Math.ceil(requests / rps));
    metadata.duration = formatDuration(seconds * 1000);
    notes.push(`-n ${requests} requests became a duration of ${metadata.duration} at ${rps} rps`);
  }

  const method = last('-m');
  if (method !== undefined) metadata.method = method.toUpperCase();
  const headers = (flags.get('-H') ?? []).map((h) => h.trim());
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
  return { ok: true, metadata, notes };
}
