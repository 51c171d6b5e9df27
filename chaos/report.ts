import type { AuditCheck } from './check.js';
import type { ChaosRollout } from './fleet.js';
import type { ChaosOptions } from './options.js';
import type { Crash, KillRecord } from './replicas.js';

export interface Restart {
  part: 'kube-apiserver' | 'prometheus';
  tookMs: number;
}

export interface ChaosReport {
  options: ChaosOptions;
  /** Why the run stopped early (a playground process died, set-up failed), if it did. */
  aborted?: string;
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
  );
  if (report.aborted) lines.push(`ABORTED: ${report.aborted}`);
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
    passed(report) ? 'RESULT: PASS' : `RESULT: FAIL (${failures(report)})`,
  );
  return lines.join('\n');
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
