/**
 * Runs `work` once for any number of calls made before it runs, and at most once every
 * `minGapMs`. The release queue's pass reads every cached Rollout after whatever moved; the
 * work queue lets the event loop turn every few ms, so a burst of reconciles (a restart
 * restoring 10,000 Rollouts) would otherwise make one pass, O(Rollouts), per turn.
 */
export function coalesced(work: () => void, minGapMs: number): () => void {
  let pending = false;
  let lastRun = Number.NEGATIVE_INFINITY;
  const run = () => {
    pending = false;
    lastRun = performance.now();
    work();
  };
  return () => {
    if (pending) return;
    pending = true;
    const wait = lastRun + minGapMs - performance.now();
    if (wait <= 0) setImmediate(run);
    else setTimeout(run, wait);
  };
}
