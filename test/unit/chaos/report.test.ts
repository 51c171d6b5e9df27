import { describe, expect, it } from 'vitest';
import type { MachineLoad } from '../../../chaos/environment.js';
import { fleetObjects, ROLLOUT_MIX, revisionPatch } from '../../../chaos/fleet.js';
import {
  type ChaosReport,
  formatReport,
  passed,
  percentile,
  time,
  verdict,
} from '../../../chaos/report.js';

const calm: MachineLoad = { loadAverage: [1.2, 1.5, 1.1], cores: 2 };
const busy: MachineLoad = { loadAverage: [14.3, 12, 9.8], cores: 2 };

const base: ChaosReport = {
  options: { seed: 7, kills: 2, minutes: 1, apiServerRestarts: 1, prometheusRestarts: 1 },
  durations: { setupMs: 50_000, faultsMs: 60_000, drainMs: 20_000, checkMs: 300, wallMs: 131_000 },
  load: { start: calm, end: calm },
  kills: [
    {
      signal: 'SIGKILL',
      target: 'leader',
      hitLeader: true,
      exit: 'SIGKILL',
      stopMs: 3,
      logFile: 'a.log',
    },
    {
      signal: 'SIGTERM',
      target: 'follower',
      hitLeader: false,
      exit: '0',
      stopMs: 900,
      logFile: 'b.log',
    },
  ],
  restarts: [
    { part: 'kube-apiserver', tookMs: 9_000 },
    { part: 'prometheus', tookMs: 700 },
  ],
  crashes: [],
  rollouts: [
    {
      ...(ROLLOUT_MIX[0] as (typeof ROLLOUT_MIX)[number]),
      name: 'chaos-wl-smi/app',
      seen: ['Succeeded', 'Failed'],
    },
  ],
  requests: { total: 1000, failed: 40 },
  check: {
    violations: [],
    results: [
      { rollout: 'chaos-wl-smi/app', revision: 1, expected: 'Succeeded', actual: 'Succeeded' },
      { rollout: 'chaos-wl-smi/app', revision: 2, expected: 'Failed', actual: 'Failed' },
    ],
    problems: [],
    leaseTerms: 3,
    handOversMs: [3400, 900, 4100],
    controllerWrites: { accepted: 120, refused: 2 },
  },
  files: {
    stateDir: '/s',
    auditLog: '/s/audit.log',
    controllerLogs: '/s/c',
    report: '/s/report.json',
  },
};

describe('percentile', () => {
  it.each([
    [[], 50, 0],
    [[7], 99, 7],
    [[4, 1, 3, 2], 50, 2],
    [[4, 1, 3, 2], 75, 3],
    [[4, 1, 3, 2], 99, 4],
    [Array.from({ length: 200 }, (_, i) => i + 1), 99, 198],
  ])('of %j at p%d is %d (nearest rank)', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('formatReport', () => {
  it('prints the figures of a pass and how to replay it', () => {
    const text = formatReport(base);
    expect(passed(base)).toBe(true);
    expect(text).toContain('replay: npm run chaos -- --seed 7 --kills 2 --minutes 1');
    expect(text).toContain('wall time 2m11s');
    expect(text).toContain('kills survived: 2 of 2 (SIGKILL 1, SIGTERM 1; 1 of the leader');
    expect(text).toContain('kube-apiserver 1 (back in 9s to 9s), Prometheus 1');
    expect(text).toContain('deserved Succeeded: 1, ended Succeeded 1');
    expect(text).toContain('hand-overs: 3, leaderless for p50 3.4s, p99 4.1s, max 4.1s');
    expect(text).toContain(
      'chaos-wl-smi/app (workload mode, split.smi-spec.io/v1alpha2): 2 revisions, 2 ended as deserved',
    );
    expect(text.split('\n').at(-1)).toBe('RESULT: PASS');
  });

  it('spells out each violation with its audit entries, and fails', () => {
    const report: ChaosReport = {
      ...base,
      check: {
        ...(base.check as NonNullable<ChaosReport['check']>),
        violations: [
          {
            invariant: 'outcome',
            rollout: 'chaos-wl-smi/app',
            revision: 2,
            message: 'deserved Failed, its last status written says Succeeded',
            evidence: [
              {
                auditId: 'id-1',
                at: '2025-01-01T00:00:00.000001Z',
                userAgent: 'fledge-controller/x',
                request: 'patch rollouts/status chaos-wl-smi/app → 200',
                detail: 'phase Succeeded',
              },
            ],
          },
        ],
      },
    };
    const text = formatReport(report);
    expect(passed(report)).toBe(false);
    expect(text).toContain('1. [outcome] chaos-wl-smi/app revision 2: deserved Failed');
    expect(text).toContain(
      'audit id-1 at 2025-01-01T00:00:00.000001Z by fledge-controller/x: patch rollouts/status',
    );
    expect(text.split('\n').at(-1)).toBe('RESULT: FAIL (1 violations)');
  });

  it('fails a run that crashed a controller, stopped early or could not check the log', () => {
    const crash = { logFile: 'c.log', exit: '1', at: 'then' };
    expect(formatReport({ ...base, crashes: [crash] })).toMatch(
      /RESULT: FAIL \(1 controller crashes\)$/,
    );
    const stopped: ChaosReport = {
      ...base,
      aborted: { reason: 'timed out waiting for the Rollouts', by: 'run', load: calm },
    };
    expect(verdict(stopped)).toBe('FAIL');
    expect(formatReport(stopped)).toMatch(
      /ABORTED: timed out waiting for the Rollouts[\s\S]*kills survived: 0 of 2[\s\S]*RESULT: FAIL \(aborted\)$/,
    );
    const unchecked = {
      ...base,
      check: { ...(base.check as NonNullable<ChaosReport['check']>), problems: ['x'] },
    };
    expect(formatReport(unchecked)).toMatch(/NOT CHECKED: x[\s\S]*RESULT: FAIL \(1 not checked\)$/);
  });
});

describe('a run the machine stopped', () => {
  const stoppedByLoad: ChaosReport = {
    ...base,
    aborted: {
      reason:
        'kube-apiserver did not come back after a restart: kube-apiserver was not ready within 60 s',
      by: 'environment',
      load: busy,
    },
  };

  it('is not made, says the machine stopped it and how busy it was, when nothing was broken', () => {
    const text = formatReport(stoppedByLoad);
    expect(verdict(stoppedByLoad)).toBe('NOT MADE');
    expect(passed(stoppedByLoad)).toBe(false);
    expect(text).toContain(
      'NOT MADE: the machine stopped the run, not fledge: kube-apiserver did not come back after a restart',
    );
    expect(text).toContain('load average 14.3, 12.0, 9.8 (1, 5, 15 min) on 2 cores');
    expect(text.split('\n').at(-1)).toMatch(/^RESULT: NOT MADE \(the machine was too busy/);
  });

  it('still fails when the part that ran broke an invariant or crashed a controller', () => {
    const check = base.check as NonNullable<ChaosReport['check']>;
    const violation = {
      invariant: 'max-weight' as const,
      rollout: 'chaos-wl-smi/app',
      revision: 1,
      message: 'canary app-canary got 100% before promotion (maxWeight 50)',
      evidence: [],
    };
    const broken = { ...stoppedByLoad, check: { ...check, violations: [violation] } };
    expect(verdict(broken)).toBe('FAIL');
    expect(formatReport(broken).split('\n').at(-1)).toBe('RESULT: FAIL (aborted, 1 violations)');
    const crashed = { ...stoppedByLoad, crashes: [{ logFile: 'c.log', exit: '1', at: 'then' }] };
    expect(verdict(crashed)).toBe('FAIL');
  });
});

describe('time', () => {
  it.each([
    [2_500, '2.5s'],
    [59_000, '59s'],
    [95_000, '1m35s'],
  ])('spells %d ms as %s', (ms, text) => {
    expect(time(ms)).toBe(text);
  });
});

describe('fleetObjects', () => {
  it('gives a workload-mode Rollout its Deployment, and a backend-mode one three backends and an apex', () => {
    const [workload, , backend] = ROLLOUT_MIX;
    const kinds = (objects: ReturnType<typeof fleetObjects>) =>
      objects.map((o) => `${o.kind} ${o.metadata?.name}`);
    expect(kinds(fleetObjects(workload as (typeof ROLLOUT_MIX)[number]))).toEqual([
      'Namespace chaos-wl-smi',
      'Deployment app',
      'Rollout app',
    ]);
    const objects = fleetObjects(backend as (typeof ROLLOUT_MIX)[number]);
    expect(kinds(objects)).toEqual([
      'Namespace chaos-be-smi',
      'Deployment app-0',
      'Service app-0',
      'Deployment app-1',
      'Service app-1',
      'Deployment app-2',
      'Service app-2',
      'Service app',
      'Rollout app',
    ]);
    expect(objects.at(-1)?.spec).toMatchObject({
      backends: { stable: { service: 'app-0' }, canary: { service: 'app-1' } },
      routing: { provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha1' },
      analysis: { interval: '2s', threshold: 5, maxWeight: 50, stepWeight: 10 },
    });
    expect(objects.at(-2)?.spec).not.toHaveProperty('selector');
  });

  it('marks each revision with its number and makes a faulty one fail half its requests', () => {
    expect(JSON.stringify(revisionPatch(3, true))).toContain('"chaos.fledge.dev/revision":"3"');
    expect(JSON.stringify(revisionPatch(3, true))).toContain('{"name":"ERROR_RATE","value":"0.5"}');
    expect(JSON.stringify(revisionPatch(4, false))).toContain('{"name":"ERROR_RATE","value":"0"}');
  });
});
