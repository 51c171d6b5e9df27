/**
 * How late an analysis starts: from the time the machine set for it (`nextAnalysisAt`) to the
 * moment its effect begins, in seconds. A start before its due time (a restored machine, a
 * manual resume) is not late. Undefined when nothing was due (no time set).
 */
export function analysisLatenessSeconds(
  dueAtMs: number | null,
  startedAtMs: number,
): number | undefined {
  if (dueAtMs === null) return undefined;
  return Math.max(0, startedAtMs - dueAtMs) / 1000;
}
