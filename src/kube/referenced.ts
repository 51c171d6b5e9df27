import { TtlCache } from '../dashboard/ttl-cache.js';
import type { ApiServer, ObjectWithMeta } from './api-server.js';
import { knownTypes, ResourceClient, type ResourceType } from './resources.js';

/** A Secret as the API server sends it: values in base64. */
export interface SecretData {
  data?: Record<string, string>;
}

/** An object a Rollout names, and the Secret that object names in turn; null: not found. */
export interface Referenced<T> {
  object: T | null;
  secret: SecretData | null;
}

export interface ReferenceReaderOptions<T> {
  api: ApiServer;
  type: ResourceType;
  /** The Secret, in the object's namespace, that the object names; undefined: none. */
  secretName(object: T): string | undefined;
  /** How long an answer is reused before it is read again. */
  ttlMs?: number;
  /** The most answers kept. */
  capacity?: number;
  /** A bound on each read from the API server. */
  timeoutMs?: number;
}

const DEFAULT_TTL_MS = 15_000;
const DEFAULT_CAPACITY = 256;
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Reads objects that Rollouts refer to by name (AlertProviders, MetricTemplates) with their
 * Secret, through the API server rather than a watch: they are few, read once an interval at
 * most, and a brief, bounded cache spares the API server. A failed read is not kept, so the
 * next one tries again; reads of one key at the same time share one request.
 */
export class ReferenceReader<T extends ObjectWithMeta> {
  private readonly objects: ResourceClient<T>;
  private readonly secrets: ResourceClient;
  private readonly cache: TtlCache<Promise<Referenced<T>>>;

  constructor(private readonly options: ReferenceReaderOptions<T>) {
    this.objects = new ResourceClient<T>(options.api, options.type);
    this.secrets = new ResourceClient(options.api, knownTypes.secrets);
    this.cache = new TtlCache(
      options.capacity ?? DEFAULT_CAPACITY,
      options.ttlMs ?? DEFAULT_TTL_MS,
    );
  }

  /** The object and its Secret; rejects when the API server could not be read. */
  read(ref: { namespace: string; name: string }): Promise<Referenced<T>> {
    const key = `${ref.namespace}/${ref.name}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const lookup = this.fetch(ref);
    this.cache.set(key, lookup);
    lookup.catch(() => {
      if (this.cache.get(key) === lookup) this.cache.delete(key);
    });
    return lookup;
  }

  private async fetch(ref: { namespace: string; name: string }): Promise<Referenced<T>> {
    const call = { timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
    const object = await this.objects.find(ref.namespace, ref.name, call);
    const secretName = object ? this.options.secretName(object) : undefined;
    const secret = secretName
      ? ((await this.secrets.find(ref.namespace, secretName, call)) as SecretData | null)
      : null;
    return { object, secret };
  }
}

/** A Secret's value under `key`, decoded and trimmed; undefined when absent. */
export function secretValue(secret: SecretData | null, key: string): string | undefined {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8').trim();
}
