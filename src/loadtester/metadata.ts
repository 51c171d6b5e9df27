import { parseGoDuration } from '../api/duration.js';
import { parseHeaders } from './headers.js';
import { FIELD_LIMITS } from './limits.js';
import { quote } from './quote.js';

/** What one webhook asks the loadtester to do, validated and with defaults applied. */
export interface LoadSpec {
  url: URL;
  /** Overall requests per second across all connections. */
  rps: number;
  connections: number;
  durationMs: number;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  blocking: boolean;
  /** Highest tolerated fraction (0..1) of requests without a 2xx answer; blocking runs only. */
  maxErrorRate: number | undefined;
}

export interface MetadataProblem {
  /** The offending field, as the user wrote it, e.g. `metadata.rps`. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

export type MetadataParse = { ok: true; spec: LoadSpec } | { ok: false; problem: MetadataProblem };

const LIMITS = FIELD_LIMITS;

/** What the loadtester uses for metadata a webhook leaves out. */
export const LOAD_DEFAULTS = { rps: 10, connections: 10, duration: '1m', method: 'GET' } as const;

// No HEAD: autocannon's response parser waits for a body that a HEAD answer never has, so
// every HEAD request would end as a timeout.
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Each known field and the longest value it takes. */
const FIELD_LENGTHS = new Map<string, number>([
  ['type', LIMITS.shortFieldLength],
  ['url', LIMITS.urlLength],
  ['rps', LIMITS.shortFieldLength],
  ['connections', LIMITS.shortFieldLength],
  ['duration', LIMITS.shortFieldLength],
  ['method', LIMITS.shortFieldLength],
  ['headers', LIMITS.headersLength],
  ['body', LIMITS.bodyBytes],
  ['blocking', LIMITS.shortFieldLength],
  ['maxErrorRate', LIMITS.shortFieldLength],
]);
const FIELDS = [...FIELD_LENGTHS.keys()];

class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function parseLoadMetadata(metadata: Readonly<Record<string, string>>): MetadataParse {
  try {
    return { ok: true, spec: buildSpec(metadata) };
  } catch (error) {
    if (error instanceof Invalid) {
      return { ok: false, problem: { field: `metadata.${error.field}`, message: error.message } };
    }
    throw error;
  }
}

function buildSpec(metadata: Readonly<Record<string, string>>): LoadSpec {
  checkType(metadata);
  for (const [field, value] of Object.entries(metadata)) {
    const limit = FIELD_LENGTHS.get(field);
    if (limit === undefined) {
      throw new Invalid(field, `is not a known field: remove it (known: ${FIELDS.join(', ')})`);
    }
    // Bytes for the body, which goes on the wire as is; characters elsewhere.
    const length = field === 'body' ? Buffer.byteLength(value) : value.length;
    if (length > limit) {
      const unit = field === 'body' ? 'bytes' : 'characters';
      throw new Invalid(field, `is ${length} ${unit} long, over the limit of ${limit}: shorten it`);
    }
  }
  const rps = integerField(metadata, 'rps', LOAD_DEFAULTS.rps, LIMITS.maxRps);
  const blocking = booleanField(metadata, 'blocking');
  const maxErrorRate = optional(metadata, 'maxErrorRate', parseErrorRate);
  if (maxErrorRate !== undefined && !blocking) {
    throw new Invalid(
      'maxErrorRate',
      'only applies to blocking runs, whose answer is the check: set blocking: "true" or remove maxErrorRate',
    );
  }
  return {
    url: parseTargetUrl(metadata.url),
    rps,
    connections: integerField(
      metadata,
      'connections',
      Math.min(LOAD_DEFAULTS.connections, rps),
      LIMITS.maxConnections,
    ),
    durationMs: parseDurationField(metadata.duration ?? LOAD_DEFAULTS.duration),
    method: parseMethod(metadata.method ?? LOAD_DEFAULTS.method),
    headers: parseHeadersField(metadata.headers),
    body: metadata.body,
    blocking,
    maxErrorRate,
  };
}

function checkType(metadata: Readonly<Record<string, string>>): void {
  if ('cmd' in metadata) {
    throw new Invalid(
      'cmd',
      'is not supported: the fledge loadtester runs no shell commands; describe the load ' +
        'with type: autocannon, url, rps, connections and duration instead',
    );
  }
  if (metadata.type === undefined) {
    throw new Invalid('type', 'is required: set type: autocannon');
  }
  if (metadata.type !== 'autocannon') {
    throw new Invalid('type', `${quote(metadata.type)} is not supported: set type: autocannon`);
  }
}

function parseTargetUrl(text: string | undefined): URL {
  if (text === undefined || text.trim() === '') {
    throw new Invalid(
      'url',
      'is required: set the target, e.g. http://api-service-canary.production:8080/',
    );
  }
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Invalid(
      'url',
      `${quote(text)} is not an absolute URL: write it as http://<service>.<namespace>:<port>/<path>`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Invalid(
      'url',
      `scheme ${quote(url.protocol)} is not supported: use http:// or https://`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new Invalid(
      'url',
      'must not carry credentials: pass them in metadata.headers (Authorization: ...)',
    );
  }
  return url;
}

function integerField(
  metadata: Readonly<Record<string, string>>,
  field: 'rps' | 'connections',
  fallback: number,
  max: number,
): number {
  const text = metadata[field];
  if (text === undefined) return fallback;
  // Decimal digits only: Number() would also read 0x10, 1e3 and 0b11.
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Invalid(field, `${quote(text)} must be a whole number from 1 to ${max}`);
  }
  return value;
}

function booleanField(metadata: Readonly<Record<string, string>>, field: 'blocking'): boolean {
  const text = metadata[field];
  if (text === undefined) return false;
  const lower = text.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new Invalid(field, `${quote(text)} must be "true" or "false"`);
}

function optional<T>(
  metadata: Readonly<Record<string, string>>,
  field: string,
  parse: (text: string) => T,
): T | undefined {
  const text = metadata[field];
  return text === undefined ? undefined : parse(text);
}

/** A fraction from 0 to 1 ("0.05"), or a percentage with its sign ("5%"). */
function parseErrorRate(text: string): number {
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const digits = percent ? trimmed.slice(0, -1).trim() : trimmed;
  // A plain decimal: Number() would also read 0x1, 1e-2 and Infinity.
  const number = /^\d+(\.\d+)?$|^\.\d+$/.test(digits) ? Number(digits) : Number.NaN;
  const value = percent ? number / 100 : number;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new Invalid(
      'maxErrorRate',
      `${quote(text)} must be a fraction from 0 to 1 (e.g. 0.05) or a percentage with % (e.g. 5%)`,
    );
  }
  return value;
}

function parseDurationField(text: string): number {
  const ms = parseGoDuration(text);
  const range = 'from 1s to 1h';
  if (ms === undefined) {
    throw new Invalid(
      'duration',
      `${quote(text)} is not a duration: write e.g. 30s, 1m or 1m30s (${range})`,
    );
  }
  if (ms < LIMITS.minDurationMs || ms > LIMITS.maxDurationMs) {
    throw new Invalid('duration', `${quote(text)} is out of range: use ${range}`);
  }
  return ms;
}

function parseMethod(text: string): string {
  const method = text.trim().toUpperCase();
  if (!METHODS.includes(method)) {
    throw new Invalid(
      'method',
      `${quote(text)} is not supported: use one of ${METHODS.join(', ')}`,
    );
  }
  return method;
}

function parseHeadersField(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const parsed = parseHeaders(text);
  if (!parsed.ok) throw new Invalid('headers', parsed.message);
  return parsed.headers;
}
