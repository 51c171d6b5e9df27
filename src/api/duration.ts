/**
 * Durations as the Rollout spells them: whole numbers of hours, minutes, seconds and
 * milliseconds, largest unit first, each unit at most once (`1h`, `1m30s`, `1500ms`).
 * The same order is what PromQL range selectors accept, and what the CRD's pattern checks.
 */
export const DURATION_PATTERN = '^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$';

const durationRegExp = new RegExp(DURATION_PATTERN);

const MS_PER = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/** Milliseconds in a duration such as `1m30s`, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = durationRegExp.exec(text);
  if (!match || text === '') return undefined;
  const [, hours, minutes, seconds, millis] = match;
  return (
    amount(hours, 'h') * MS_PER.h +
    amount(minutes, 'm') * MS_PER.m +
    amount(seconds, 's') * MS_PER.s +
    amount(millis, 'ms')
  );
}

function amount(part: string | undefined, unit: string): number {
  return part === undefined ? 0 : Number(part.slice(0, -unit.length));
}

/**
 * Go-style durations as Flagger users write them ("30s", "1m30s", "500ms", "1.5s"); a bare
 * number is seconds. Looser than parseDuration: for webhook metadata and Flagger input.
 */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1_000;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * MS_PER[unit as keyof typeof MS_PER];
  }
  return total;
}

/**
 * A PromQL range for a positive whole number of milliseconds, in the largest single unit
 * that divides it exactly (`60000` -> `1m`, `90000` -> `90s`, `1500` -> `1500ms`), so it
 * stays valid on Prometheus versions that reject compound ranges.
 */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new RangeError(`formatDuration needs a positive whole number of milliseconds, got ${ms}`);
  }
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms % MS_PER[unit] === 0) return `${ms / MS_PER[unit]}${unit}`;
  }
  return `${ms}ms`;
}
