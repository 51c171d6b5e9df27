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
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') metadata[key] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') metadata[key] = String(entry);
    else {
      const message = "must be a string: write it as text in the webhook's metadata";
      return { ok: false, field: `metadata.${key}`, message };
    }
  }
  return { ok: true, map: metadata };
}
