import { parseGoDuration } from '../api/duration.js';
import { parseHeaders } from './headers.js';

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

/** The loadtester's limits; fledge convert keeps the load it writes within them. */
export const LIMITS = {
  maxRps: 10_000,
  maxConnections: 1_000,
  minDurationMs: 1_000,
  maxDurationMs: 3_600_000,
} as const;

/** What the loadtester uses for metadata a webhook leaves out. */
export const LOAD_DEFAULTS = { rps: 10, connections: 10, duration: '1m', method: 'GET' } as const;

// No HEAD: autocannon's response parser waits for a body that a HEAD answer never has, so
// every HEAD request would end as a timeout.
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const FIELDS = [
  'type',
  'url',
  'rps',
  'connections',
  'duration',
  'method',
  'headers',
  'body',
  'blocking',
  'maxErrorRate',
];

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
  for (const field of Object.keys(metadata)) {
    if (!FIELDS.includes(field)) {
      throw new Invalid(field, `is not a known field: remove it (known: ${FIELDS.join(', ')})`);
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
    throw new Invalid('type', `"${metadata.type}" is not supported: set type: autocannon`);
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
      `"${text}" is not an absolute URL: write it as http://<service>.<namespace>:<port>/<path>`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Invalid('url', `scheme "${url.protocol}" is not supported: use http:// or https://`);
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
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new Invalid(field, `"${text}" must be a whole number from 1 to ${max}`);
  }
  return value;
}

function booleanField(metadata: Readonly<Record<string, string>>, field: 'blocking'): boolean {
  const text = metadata[field];
  if (text === undefined) return false;
  const lower = text.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new Invalid(field, `"${text}" must be "true" or "false"`);
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
  const number = Number(percent ? trimmed.slice(0, -1).trim() : trimmed);
  const value = percent ? number / 100 : number;
  if (trimmed === '' || trimmed === '%' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new Invalid(
      'maxErrorRate',
      `"${text}" must be a fraction from 0 to 1 (e.g. 0.05) or a percentage with % (e.g. 5%)`,
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
      `"${text}" is not a duration: write e.g. 30s, 1m or 1m30s (${range})`,
    );
  }
  if (ms < LIMITS.minDurationMs || ms > LIMITS.maxDurationMs) {
    throw new Invalid('duration', `"${text}" is out of range: use ${range}`);
  }
  return ms;
}

function parseMethod(text: string): string {
  const method = text.trim().toUpperCase();
  if (!METHODS.includes(method)) {
    throw new Invalid('method', `"${text}" is not supported: use one of ${METHODS.join(', ')}`);
  }
  return method;
}

function parseHeadersField(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const parsed = parseHeaders(text);
  if (!parsed.ok) throw new Invalid('headers', parsed.message);
  return parsed.headers;
}
