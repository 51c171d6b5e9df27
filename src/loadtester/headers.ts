import { FIELD_LIMITS } from './limits.js';
import { quote } from './quote.js';

/**
 * Request headers arrive in Flagger's webhook metadata, which is a map of strings, so they
 * come as one string: either a JSON object (`{"x-canary": "1"}`) or `Name: value` lines.
 */
export type HeadersParse =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; message: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// autocannon writes these itself; letting a webhook set them would desynchronise the raw
// request it builds. Host, and Linkerd's l5d-dst-override, would route around the target policy.
const RESERVED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'l5d-dst-override',
]);

const FORMAT_HINT = 'write a JSON object such as {"x-canary": "1"} or one "Name: value" per line';

export function parseHeaders(text: string): HeadersParse {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, headers: {} };
  const pairs = trimmed.startsWith('{') ? pairsFromJson(trimmed) : pairsFromLines(trimmed);
  if (!Array.isArray(pairs)) return pairs;
  if (pairs.length > FIELD_LIMITS.headerCount) {
    return {
      ok: false,
      message: `has ${pairs.length} headers, over the limit of ${FIELD_LIMITS.headerCount}: send fewer`,
    };
  }
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of pairs) {
    const problem = headerProblem(name, value);
    if (problem) return { ok: false, message: problem };
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      return { ok: false, message: `header ${quote(name)} is given twice: keep one of them` };
    }
    seen.add(lower);
    headers[name] = value;
  }
  return { ok: true, headers };
}

function pairsFromJson(text: string): Array<[string, string]> | HeadersParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      message: `is not valid JSON (${(error as Error).message}): ${FORMAT_HINT}`,
    };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, message: `must be a JSON object of strings: ${FORMAT_HINT}` };
  }
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      return { ok: false, message: `header ${quote(name)} must have a string value` };
    }
    pairs.push([name, String(value)]);
  }
  return pairs;
}

function pairsFromLines(text: string): Array<[string, string]> | HeadersParse {
  const pairs: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      return {
        ok: false,
        message: `line ${quote(line)} has no "Name: value" form: ${FORMAT_HINT}`,
      };
    }
    pairs.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return pairs;
}

function headerProblem(name: string, value: string): string | undefined {
  if (!TOKEN.test(name)) {
    return `header name ${quote(name)} is not a valid HTTP token: use letters, digits and -`;
  }
  if (RESERVED.has(name.toLowerCase())) {
    return `header ${quote(name)} is set by the loadtester itself: remove it (the URL sets the host)`;
  }
  if (/[\r\n\0]/.test(value)) {
    return `header ${quote(name)} has a line break or NUL in its value: remove it`;
  }
  return undefined;
}
