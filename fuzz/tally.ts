/** What a fuzz run counts, per target, and the first findings of each kind to show. */

export const FINDING_KINDS = ['crash', 'hang', 'accepted-but-invalid', 'unnamed'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** What went wrong and the case that did it, in a few lines. */
  detail: string;
}

const SHOWN_PER_KIND = 3;

/** One case's outcome: what went wrong, if anything, and whether the input was accepted. */
export interface CaseResult {
  finding?: Finding;
  accepted?: boolean;
}

export class Tally {
  cases = 0;
  /** Inputs the target accepted (a valid Rollout, a converted Canary, a 2xx, a value). */
  accepted = 0;
  readonly counts: Record<FindingKind, number> = {
    crash: 0,
    hang: 0,
    'accepted-but-invalid': 0,
    unnamed: 0,
  };
  readonly examples: { index: number; finding: Finding }[] = [];

  constructor(readonly target: string) {}

  record(index: number, { finding, accepted }: CaseResult): void {
    this.cases += 1;
    if (accepted) this.accepted += 1;
    if (!finding) return;
    this.counts[finding.kind] += 1;
    const shown = this.examples.filter((e) => e.finding.kind === finding.kind).length;
    if (shown < SHOWN_PER_KIND) this.examples.push({ index, finding });
  }

  get failures(): number {
    return FINDING_KINDS.reduce((sum, kind) => sum + this.counts[kind], 0);
  }
}

/** The table of counts, then the examples, as `npm run fuzz` prints them. */
export function formatTallies(tallies: readonly Tally[], seed: number): string[] {
  const header = ['target', 'cases', 'crashes', 'hangs', 'accepted-but-invalid', 'unnamed'];
  const rows = tallies.map((t) => [
    t.target,
    String(t.cases),
    ...FINDING_KINDS.map((kind) => String(t.counts[kind])),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  const lines = [`fledge fuzz, seed ${seed}`, line(header), ...rows.map(line)];
  for (const t of tallies) lines.push(`${t.target}: ${t.accepted} of ${t.cases} inputs accepted`);
  for (const tally of tallies) {
    for (const { index, finding } of tally.examples) {
      lines.push(`${tally.target} case ${index}: ${finding.kind}: ${finding.detail}`);
    }
  }
  return lines;
}
