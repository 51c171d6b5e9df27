/**
 * A duration as kubectl's AGE column shows it (k8s.io/apimachinery HumanDuration): two units
 * while the second still means something (`3m20s`, `5h10m`, `2d3h`), one unit after that.
 */
export function formatAge(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 10) return withRest(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 8) return withRest(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return withRest(days, 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(hours / (24 * 365));
  if (hours < 24 * 365 * 8) return withRest(years, 'y', days % 365, 'd');
  return `${years}y`;
}

function withRest(amount: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${amount}${unit}` : `${amount}${unit}${rest}${restUnit}`;
}

/** The age of an object from its creationTimestamp, or `-` when it has none. */
export function ageOf(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '-';
  const created = Date.parse(timestamp);
  return Number.isNaN(created) ? '-' : formatAge(now.getTime() - created);
}
