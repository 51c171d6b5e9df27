import { ageOf } from './age.js';
import { type RolloutObject, thresholdOf } from './rollout-object.js';

export interface TableOptions {
  /** Adds the NAMESPACE column, as kubectl does with -A. */
  allNamespaces: boolean;
  now: Date;
}

const NONE = '-';

/** One row of `fledge status`, as text cells in column order. */
export function rolloutRow(rollout: RolloutObject, options: TableOptions): string[] {
  const status = rollout.status ?? {};
  const threshold = thresholdOf(rollout);
  const failed =
    status.failedChecks === undefined
      ? NONE
      : `${status.failedChecks}/${threshold === undefined ? '?' : threshold}`;
  const cells = [
    rollout.metadata?.name ?? NONE,
    status.phase ?? NONE,
    status.canaryWeight === undefined ? NONE : `${status.canaryWeight}%`,
    failed,
    status.currentRevision ?? NONE,
    ageOf(rollout.metadata?.creationTimestamp, options.now),
    oneLine(status.message) || NONE,
  ];
  return options.allNamespaces ? [rollout.metadata?.namespace ?? NONE, ...cells] : cells;
}

function tableHeader(allNamespaces: boolean): string[] {
  const columns = ['NAME', 'PHASE', 'WEIGHT', 'FAILED', 'REVISION', 'AGE', 'MESSAGE'];
  return allNamespaces ? ['NAMESPACE', ...columns] : columns;
}

/** kubectl's table layout: left-aligned columns three spaces apart, the last one unpadded. */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** The `fledge status` table, sorted by namespace then name. */
export function renderStatusTable(rollouts: RolloutObject[], options: TableOptions): string {
  const sorted = [...rollouts].sort(byNamespaceAndName);
  return formatTable([
    tableHeader(options.allNamespaces),
    ...sorted.map((r) => rolloutRow(r, options)),
  ]);
}

export function byNamespaceAndName(a: RolloutObject, b: RolloutObject): number {
  const key = (r: RolloutObject) => `${r.metadata?.namespace ?? ''}\u0000${r.metadata?.name ?? ''}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** Messages may carry line breaks (a list of problems); a table row must not. */
export function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s*\n\s*/g, '; ').trim();
}
