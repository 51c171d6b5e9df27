import type { AuditCheck } from './check.js';
import { describeLoad, type MachineLoad } from './environment.js';
import type { ChaosRollout } from './fleet.js';
import type { ChaosOptions } from './options.js';
import type { Crash, KillRecord } from './replicas.js';

export interface Restart {
  part: 'kube-apiserver' | 'prometheus';
  tookMs: number;
}

/**
 * Who stopped a run early: the machine (a playground part not back within its bound, the API
 * server not answering the run's own calls), a person (Ctrl-C), or the run itself (fledge
 * never initialized the Rollouts, an error of the harness).
 */
export type AbortCause = 'environment' | 'interrupt' | 'run';

export interface ChaosReport {
  options: ChaosOptions;
  /** Why the run stopped early, if it did, and how busy the machine was then. */
  aborted?: { reason: string; by: AbortCause; load: MachineLoad };
  /** How busy the machine was when the run began and when it ended. */
  load: { start: MachineLoad; end: MachineLoad };
  durations: {
    setupMs: number;
    faultsMs: number;
    drainMs: number;
    checkMs: number;
    wallMs: number;
  };
  kills: KillRecord[];
  restarts: Restart[];
  crashes: Crash[];
  rollouts: Array<ChaosRollout & { name: string; seen: string[] }>;
  requests: { total: number; failed: number };
  /** Null when the run stopped before there was a log to check. */
  check: AuditCheck | null;
  files: { stateDir: string; auditLog: string | null; controllerLogs: string; report: string };
}

/**
 * PASS: a whole run, every revision checked, nothing wrong. FAIL: an invariant broken or a
 * controller crashed (even in a run stopped early), or the run itself failed. NOT MADE: the
 * machine or a person stopped it early, and the part that ran broke nothing.
 */
export type Verdict = 'PASS' | 'FAIL' | 'NOT MADE';

export function verdict(report: ChaosReport): Verdict {
  if (passed(report)) return 'PASS';
  const broken = (report.check?.violations.length ?? 0) > 0 || report.crashes.length > 0;
  if (!broken && report.aborted && report.aborted.by !== 'run') return 'NOT MADE';
  return 'FAIL';
}

/** A pass is a whole run with every revision checked and nothing wrong. */
export function passed(report: ChaosReport): boolean {
  return (
    report.aborted === undefined &&
    report.check !== null &&
    report.check.violations.length === 0 &&
    report.check.problems.length === 0 &&
    report.crashes.length === 0
  );
}

/** How many violations the printed report spells out; the JSON report has them all. */
const printedViolations = 25;

export function formatReport(report: ChaosReport): string {
  const { options: o, durations: d, check } = report;
  const lines: string[] = [];
  lines.push(
    `fledge chaos run, seed ${o.seed} (replay: npm run chaos -- --seed ${o.seed} --kills ${o.kills} --minutes ${o.minutes} --api-restarts ${o.apiServerRestarts} --prometheus-restarts ${o.prometheusRestarts})`,
    `wall time ${time(d.wallMs)}: set-up ${time(d.setupMs)}, faults ${time(d.faultsMs)}, last revisions ${time(d.drainMs)}, check ${time(d.checkMs)}`,
    `machine: ${describeLoad(report.load.start)} at the start; ${report.load.end.loadAverage[0].toFixed(1)} at the end`,
  );
  if (report.aborted) {
    const { reason, by, load } = report.aborted;
    lines.push(
      by === 'environment'
        ? `NOT MADE: the machine stopped the run, not fledge: ${reason} (${describeLoad(load)})`
        : `ABORTED${by === 'interrupt' ? ' by a person' : ''}: ${reason}`,
    );
  }
  const bySignal = (signal: string) => report.kills.filter((k) => k.signal === signal).length;
  const slowest = Math.max(0, ...report.kills.map((k) => k.stopMs));
  const hung = report.kills.filter((k) => k.hung).length;
  lines.push(
    `kills survived: ${report.aborted ? 0 : report.kills.length} of ${report.kills.length} (SIGKILL ${bySignal('SIGKILL')}, SIGTERM ${bySignal('SIGTERM')}; ${report.kills.filter((k) => k.hitLeader).length} of the leader; slowest exit ${time(slowest)}${hung ? `; ${hung} ignored SIGTERM for 20 s` : ''})`,
    `restarts: kube-apiserver ${restarts(report, 'kube-apiserver')}, Prometheus ${restarts(report, 'prometheus')}`,
    `controller crashes: ${report.crashes.length === 0 ? 'none' : report.crashes.map((c) => `exit ${c.exit} at ${c.at} (${c.logFile})`).join('; ')}`,
    `requests through the mesh proxy: ${report.requests.total} (5xx or no answer: ${report.requests.failed}, most from faulty canaries by design)`,
  );
  if (check) {
    lines.push(
      `lease terms: ${check.leaseTerms}; controller writes accepted ${check.controllerWrites.accepted}, refused ${check.controllerWrites.refused}`,
      `hand-overs: ${describeHandOvers(check.handOversMs)}`,
      ...rolloutLines(report, check),
      ...check.problems.map((p) => `NOT CHECKED: ${p}`),
      `violations: ${check.violations.length}`,
    );
    check.violations.slice(0, printedViolations).forEach((v, i) => {
      const revision = v.revision === undefined ? '' : ` revision ${v.revision}`;
      lines.push(`  ${i + 1}. [${v.invariant}] ${v.rollout}${revision}: ${v.message}`);
      for (const e of v.evidence) {
        lines.push(
          `       audit ${e.auditId} at ${e.at} by ${e.userAgent}: ${e.request}`,
          `         ${e.detail}`,
        );
      }
    });
    if (check.violations.length > printedViolations) {
      lines.push(
        `  ... and ${check.violations.length - printedViolations} more in the report file`,
      );
    }
  }
  lines.push(
    `files: report ${report.files.report}, audit log ${report.files.auditLog ?? 'none'}, controller logs ${report.files.controllerLogs}`,
    result(report),
  );
  return lines.join('\n');
}

/** Nearest rank: the smallest value with at least `p` percent of the values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function describeHandOvers(gapsMs: readonly number[]): string {
  if (gapsMs.length === 0) return 'none';
  const at = (p: number) => time(percentile(gapsMs, p));
  return `${gapsMs.length}, leaderless for p50 ${at(50)}, p99 ${at(99)}, max ${at(100)} (last Lease write of one holder to the first of the next)`;
}

function rolloutLines(report: ChaosReport, check: AuditCheck): string[] {
  const lines = [`rollouts: ${check.results.length} revisions`];
  for (const expected of ['Succeeded', 'Failed'] as const) {
    const results = check.results.filter((r) => r.expected === expected);
    const actual = new Map<string, number>();
    for (const r of results) actual.set(r.actual, (actual.get(r.actual) ?? 0) + 1);
    const spelled = [...actual].map(([phase, n]) => `${phase} ${n}`).join(', ') || 'none';
    lines.push(`  deserved ${expected}: ${results.length}, ended ${spelled}`);
  }
  for (const rollout of report.rollouts) {
    const mine = check.results.filter((r) => r.rollout === rollout.name);
    const right = mine.filter((r) => r.actual === r.expected).length;
    lines.push(
      `  ${rollout.name} (${rollout.mode} mode, ${rollout.apiVersion}): ${mine.length} revisions, ${right} ended as deserved`,
    );
  }
  return lines;
}

function result(report: ChaosReport): string {
  switch (verdict(report)) {
    case 'PASS':
      return 'RESULT: PASS';
    case 'NOT MADE':
      return report.aborted?.by === 'environment'
        ? 'RESULT: NOT MADE (the machine was too busy for the playground; nothing was broken in the part that ran: run it again on a quieter machine)'
        : 'RESULT: NOT MADE (interrupted; nothing was broken in the part that ran)';
    default:
      return `RESULT: FAIL (${failures(report)})`;
  }
}

function restarts(report: ChaosReport, part: 'kube-apiserver' | 'prometheus'): string {
  const took = report.restarts.filter((r) => r.part === part).map((r) => r.tookMs);
  if (took.length === 0) return '0';
  return `${took.length} (back in ${time(Math.min(...took))} to ${time(Math.max(...took))})`;
}

function failures(report: ChaosReport): string {
  const reasons: string[] = [];
  if (report.aborted) reasons.push('aborted');
  if (report.check) {
    if (report.check.violations.length > 0)
      reasons.push(`${report.check.violations.length} violations`);
    if (report.check.problems.length > 0)
      reasons.push(`${report.check.problems.length} not checked`);
  } else reasons.push('audit log not checked');
  if (report.crashes.length > 0) reasons.push(`${report.crashes.length} controller crashes`);
  return reasons.join(', ');
}

/** 95 s as "1m35s", 2.5 s as "2.5s". */
export function time(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
