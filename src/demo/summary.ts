import { formatRange, formatValue } from '../cli/rollout-view.js';
import type { ActReport, FailedCheck } from './act-report.js';

export type Verdict = { ok: true } | { ok: false; reason: string };

/** The story went as told when every act ended the way it was expected to. */
export function verdictOf(acts: readonly ActReport[]): Verdict {
  for (const act of acts) {
    if (act.outcome !== act.expected) {
      const ended = act.outcome ? `ended ${act.outcome}` : 'did not finish';
      return {
        ok: false,
        reason: `${act.title}: expected ${act.expected}, but it ${ended} (${act.message || 'no message'})`,
      };
    }
  }
  return { ok: true };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function checkLine(check: FailedCheck): string {
  const why =
    check.metrics.length > 0
      ? check.metrics
          .map((m) => `${m.metric} ${formatValue(m.value)} (wanted ${formatRange(m)})`)
          .join(', ')
      : check.message;
  return `failed check ${check.count} at +${seconds(check.afterMs)}: ${why}`;
}

/** What happened and why, one block per act, for a person reading the end of the demo. */
export function renderSummary(acts: readonly ActReport[]): string[] {
  const lines = ['What happened:'];
  for (const act of acts) {
    const outcome =
      act.outcome === 'Succeeded'
        ? 'promoted'
        : act.outcome === 'Failed'
          ? 'rolled back'
          : 'unfinished';
    lines.push(
      `  ${act.title}: ${outcome} after ${seconds(act.durationMs)} (revision ${act.revision ?? '-'})`,
    );
    lines.push(
      act.weights.length > 0
        ? `    canary weight stepped ${act.weights.map((w) => `${w}%`).join(' -> ')}`
        : '    the canary never got a share of the apex traffic: it failed its checks at weight 0',
    );
    for (const check of act.failedChecks) lines.push(`    ${checkLine(check)}`);
    if (act.message) lines.push(`    why: ${act.message}`);
  }
  const verdict = verdictOf(acts);
  lines.push(
    verdict.ok
      ? 'The healthy release was promoted and the faulty one rolled back, as expected.'
      : `Not the expected story: ${verdict.reason}`,
  );
  return lines;
}
