import { FIELD_LIMITS } from './limits.js';
import { quote } from './quote.js';

/**
 * Flagger's webhook payload. fledge's controller and Flagger's both send it, so the gates and
 * the load endpoint accept either.
 */
export interface WebhookPayload {
  name: string;
  namespace: string;
  phase: string | undefined;
  checksum: string | undefined;
  metadata: Record<string, string>;
}

export type PayloadParse =
  | { ok: true; payload: WebhookPayload }
  | { ok: false; field: string; message: string };

const EXAMPLE = '{"name": "api-service", "namespace": "production", "metadata": {...}}';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The rollout's name and namespace key runs and gates: they must be Kubernetes names. */
const KEYS = {
  name: { pattern: DNS_SUBDOMAIN, max: FIELD_LIMITS.nameLength, what: 'object name' },
  namespace: { pattern: DNS_LABEL, max: FIELD_LIMITS.namespaceLength, what: 'namespace' },
} as const;

const TEXTS = { phase: FIELD_LIMITS.phaseLength, checksum: FIELD_LIMITS.checksumLength } as const;

export function parseWebhookPayload(body: string): PayloadParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      field: 'body',
      message: `is not JSON (${(error as Error).message}): send Flagger's webhook payload, e.g. ${EXAMPLE}`,
    };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, field: 'body', message: `must be a JSON object such as ${EXAMPLE}` };
  }
  const record = parsed as Record<string, unknown>;
  for (const field of ['name', 'namespace'] as const) {
    const value = record[field];
    if (typeof value !== 'string' || value === '') {
      return {
        ok: false,
        field,
        message: `is required: the rollout's ${field} keys the load and the gates`,
      };
    }
    const { pattern, max, what } = KEYS[field];
    if (value.length > max || !pattern.test(value)) {
      return {
        ok: false,
        field,
        message: `${quote(value)} is not a Kubernetes ${what} (lower-case letters, digits and -, at most ${max} characters): send the rollout's own ${field}`,
      };
    }
  }
  for (const [field, max] of Object.entries(TEXTS)) {
    const value = record[field];
    if (typeof value === 'string' && value.length > max) {
      return { ok: false, field, message: `is over ${max} characters long: shorten it` };
    }
  }
  const metadata = parseMetadataMap(record.metadata);
  if (!metadata.ok) return metadata;
  return {
    ok: true,
    payload: {
      name: record.name as string,
      namespace: record.namespace as string,
      phase: typeof record.phase === 'string' ? record.phase : undefined,
      checksum: typeof record.checksum === 'string' ? record.checksum : undefined,
      metadata: metadata.map,
    },
  };
}

/** Flagger's metadata is map[string]string; numbers and booleans written unquoted in YAML are accepted as text. */
function parseMetadataMap(
  value: unknown,
): { ok: true; map: Record<string, string> } | { ok: false; field: string; message: string } {
  if (value === undefined || value === null) return { ok: true, map: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    const message =
      'must be an object of strings, e.g. {"type": "autocannon", "url": "http://..."}';
    return { ok: false, field: 'metadata', message };
  }
  const entries = Object.entries(value);
  if (entries.length > FIELD_LIMITS.metadataEntries) {
    const message = `has ${entries.length} entries, over the limit of ${FIELD_LIMITS.metadataEntries}: send fewer`;
    return { ok: false, field: 'metadata', message };
  }
  const metadata: Record<string, string> = Object.create(null);
  for (const [key, entry] of entries) {
    if (key.length > FIELD_LIMITS.metadataKeyLength) {
      const message = `has a key of ${key.length} characters, over the limit of ${FIELD_LIMITS.metadataKeyLength}: shorten it`;
      return { ok: false, field: 'metadata', message };
    }
    if (typeof entry === 'string') metadata[key] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') metadata[key] = String(entry);
    else {
      const message = "must be a string: write it as text in the webhook's metadata";
      return { ok: false, field: `metadata.${key}`, message };
    }
  }
  return { ok: true, map: metadata };
}
