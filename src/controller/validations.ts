import { createHash } from 'node:crypto';
import { boundsProblems } from '../api/input-bounds.js';
import { type Validation, validateRollout } from '../api/validate.js';
import type { StoredRollout } from './status-writer.js';

/**
 * The last validation of each Rollout a runner drives, reused while what it judged is
 * unchanged. Each status write comes back through the watch and reconciles its Rollout again:
 * at 1,000 progressing Rollouts, validating the same spec over and over was 6% of the
 * controller's CPU. The answer depends on everything but status: the spec (the API server bumps
 * `metadata.generation` on every change of it) and metadata (compared whole, but for its
 * resourceVersion). Entries go when the runner is let go or the Rollout is gone, so the map
 * holds no more than the machines do.
 */
export class Validations {
  private readonly last = new Map<string, { fingerprint: string; validation: Validation }>();

  validate(key: string, stored: StoredRollout): Validation {
    const fingerprint = fingerprintOf(stored);
    const known = this.last.get(key);
    if (known?.fingerprint !== fingerprint) {
      const validation = validateRollout(stored);
      this.last.set(key, { fingerprint, validation: withoutStatus(validation) });
      return validation;
    }
    // Status is new at every write: its bounds are checked again, as validateRollout would.
    const bounds = boundsProblems(stored);
    if (bounds.length > 0) return { ok: false, problems: bounds };
    const { validation } = known;
    if (!validation.ok || stored.status === undefined) return validation;
    return { ok: true, rollout: { ...validation.rollout, status: stored.status } };
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}

/** Kept without status: the next write replaces it, and a long history is most of a Rollout. */
function withoutStatus(validation: Validation): Validation {
  if (!validation.ok) return validation;
  const { status: _status, ...rollout } = validation.rollout;
  return { ok: true, rollout };
}

function fingerprintOf({ metadata }: StoredRollout): string {
  const { resourceVersion: _version, managedFields: _fields, ...rest } = metadata ?? {};
  return createHash('sha1').update(JSON.stringify(rest)).digest('base64');
}
