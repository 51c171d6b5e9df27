/**
 * When a failed webhook call is worth another attempt: the answer may differ next time
 * (network trouble, overload, a server error), unlike a 4xx, which a closed gate also uses.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;

/** The pause before attempt `attempt + 1`, doubling, capped, never past the remaining budget. */
export function backoffMs(attempt: number, remainingMs: number): number {
  const doubled = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
  return Math.max(0, Math.min(doubled, remainingMs));
}
