import type { JudgementStatus } from '../api/types.js';

/** Four significant digits; "-" where a side had no data. */
function num(value: number | undefined): string {
  return value === undefined ? '-' : String(Number(value.toPrecision(4)));
}

function signed(value: number | undefined): string {
  return value !== undefined && value > 0 ? `+${num(value)}` : num(value);
}

/**
 * The judge's last judgement: its result and score, then one aligned line per metric with
 * its classification, both medians, the shift with its interval and the samples per side.
 */
export function judgementLines(judgement: JudgementStatus): string[] {
  const rows = judgement.metrics.map((m) => [
    m.name,
    m.classification,
    `canary ${num(m.canaryMedian)}`,
    `primary ${num(m.primaryMedian)}`,
    `shift ${signed(m.shift)}`,
    m.interval && m.interval.length === 2
      ? `[${signed(m.interval[0])}, ${signed(m.interval[1])}]`
      : '',
    `n ${m.canarySamples ?? 0}/${m.primarySamples ?? 0}`,
  ]);
  const widths = rows.reduce<number[]>(
    (acc, row) => row.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)),
    [],
  );
  return [
    `judge ${judgement.result}, score ${judgement.score}`,
    ...rows.map((row) =>
      `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd(),
    ),
  ];
}
