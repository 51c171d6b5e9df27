import { describe, expect, it } from 'vitest';
import {
  formatTable,
  oneLine,
  renderStatusTable,
  rolloutRow,
} from '../../../src/cli/rollout-table.js';
import { rollout } from './fixtures.js';

const now = new Date('2025-01-01T00:10:00Z');

describe('the status table', () => {
  it('shows name, phase, weight, failed/threshold, revision, age and message', () => {
    const row = rolloutRow(
      rollout({
        phase: 'Progressing',
        canaryWeight: 20,
        failedChecks: 1,
        currentRevision: 'abc123',
        message: 'advancing',
      }),
      { allNamespaces: false, now },
    );
    expect(row).toEqual(['api', 'Progressing', '20%', '1/5', 'abc123', '10m', 'advancing']);
  });

  it('adds the namespace first with -A', () => {
    const row = rolloutRow(rollout({ phase: 'Succeeded' }), { allNamespaces: true, now });
    expect(row.slice(0, 2)).toEqual(['prod', 'api']);
  });

  it('shows - for a rollout the controller has not written a status for', () => {
    const row = rolloutRow(rollout(undefined), { allNamespaces: false, now });
    expect(row).toEqual(['api', '-', '-', '-', '-', '10m', '-']);
  });

  it('aligns columns three spaces apart and sorts by namespace and name', () => {
    const table = renderStatusTable(
      [
        rollout(
          { phase: 'Failed', canaryWeight: 0, failedChecks: 5, currentRevision: 'r2' },
          { name: 'web', namespace: 'b' },
        ),
        rollout(
          { phase: 'Succeeded', canaryWeight: 0, failedChecks: 0, currentRevision: 'r1' },
          { name: 'api', namespace: 'a' },
        ),
      ],
      { allNamespaces: true, now },
    );
    expect(table.split('\n')).toEqual([
      'NAMESPACE   NAME   PHASE       WEIGHT   FAILED   REVISION   AGE   MESSAGE',
      'a           api    Succeeded   0%       0/5      r1         10m   -',
      'b           web    Failed      0%       5/5      r2         10m   -',
    ]);
  });

  it('keeps a multi-line message on one row', () => {
    expect(oneLine('invalid spec:\n  a\n  b')).toBe('invalid spec:; a; b');
  });

  it('does not pad the last column', () => {
    expect(
      formatTable([
        ['A', 'LONG'],
        ['BB', 'x'],
      ]),
    ).toBe('A    LONG\nBB   x');
  });
});
