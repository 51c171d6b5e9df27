import { describe, expect, it } from 'vitest';
import { planAction } from '../../../src/cli/manual-action.js';
import { rollout } from './fixtures.js';

describe('planAction', () => {
  it('refuses to promote a Succeeded rollout, naming it and the reason', () => {
    const plan = planAction('promote', rollout({ phase: 'Succeeded' }));
    expect(plan).toEqual({
      kind: 'refuse',
      message:
        'promote: rollout prod/api is Succeeded; nothing to promote (no new revision is under analysis)',
    });
  });

  it('sets the promote annotation during an analysis and says what will happen', () => {
    const plan = planAction('promote', rollout({ phase: 'Progressing', currentRevision: 'r2' }));
    expect(plan).toMatchObject({
      kind: 'annotate',
      annotations: { 'fledge.dev/promote': 'true' },
      notes: [],
    });
    expect(plan.message).toContain('fledge promotes revision r2 now');
  });

  it('points a promote of a Failed rollout at retry', () => {
    const plan = planAction('promote', rollout({ phase: 'Failed', currentRevision: 'r2' }));
    expect(plan.kind).toBe('refuse');
    expect(plan.message).toMatch(
      /`fledge retry` analyses revision r2 again \(in phase Failed fledge accepts: retry\)/,
    );
  });

  it('refuses an abort once the primary runs the new revision', () => {
    const plan = planAction('abort', rollout({ phase: 'Promoting' }));
    expect(plan.kind).toBe('refuse');
    expect(plan.message).toMatch(/too late to abort/);
  });

  it('accepts retry only after a failure', () => {
    expect(planAction('retry', rollout({ phase: 'Failed' }))).toMatchObject({
      annotations: { 'fledge.dev/retry': 'true' },
    });
    expect(planAction('retry', rollout({ phase: 'Progressing' }))).toMatchObject({
      kind: 'refuse',
      message: expect.stringMatching(/retry only applies to a Failed rollout/),
    });
  });

  it('refuses a retry while the rollback has not routed callers to the primary, as the controller would', () => {
    for (const state of ['RollingBack', 'RestoringPrimary']) {
      expect(planAction('retry', rollout({ phase: 'Failed', machine: { state } }))).toEqual({
        kind: 'refuse',
        message:
          'retry: rollout prod/api is Failed; its rollback has not routed callers back to the primary yet (its status message says why); ask again once it has',
      });
    }
    expect(
      planAction('retry', rollout({ phase: 'Failed', machine: { state: 'Failed' } })),
    ).toMatchObject({ kind: 'annotate', annotations: { 'fledge.dev/retry': 'true' } });
  });

  it('pauses at the current weight and refuses a second pause', () => {
    const plan = planAction('pause', rollout({ phase: 'Progressing', canaryWeight: 30 }));
    expect(plan).toMatchObject({ annotations: { 'fledge.dev/pause': 'true' } });
    expect(plan.message).toContain('holds the canary at weight 30% until `fledge resume api`');
    expect(planAction('pause', rollout({ phase: 'Paused' }))).toMatchObject({
      kind: 'refuse',
      message: expect.stringMatching(/already paused/),
    });
  });

  it('resumes by removing the pause annotation, whatever the phase', () => {
    const paused = rollout(
      { phase: 'Progressing' },
      { annotations: { 'fledge.dev/pause': 'true' } },
    );
    expect(planAction('resume', paused)).toMatchObject({
      kind: 'annotate',
      annotations: { 'fledge.dev/pause': null },
    });
  });

  it('refuses to resume a rollout that paused itself, and says how to decide', () => {
    const plan = planAction(
      'resume',
      rollout({ phase: 'Paused', message: 'no data for request-success-rate' }),
    );
    expect(plan.kind).toBe('refuse');
    expect(plan.message).toMatch(
      /paused itself.*no data for request-success-rate.*`fledge promote api` or `fledge abort api`/,
    );
  });

  it('refuses while the rollout has no status, pointing at the controller', () => {
    expect(planAction('abort', rollout(undefined)).message).toMatch(/no status yet.*is it running/);
  });

  it('notes a one-shot annotation still waiting for the controller', () => {
    const plan = planAction(
      'abort',
      rollout({ phase: 'Progressing' }, { annotations: { 'fledge.dev/abort': 'true' } }),
    );
    expect(plan).toMatchObject({ kind: 'annotate', notes: [expect.stringMatching(/already set/)] });
  });

  it('warns that a promote leaves the pause annotation for the next revision', () => {
    const plan = planAction(
      'promote',
      rollout({ phase: 'Paused' }, { annotations: { 'fledge.dev/pause': 'true' } }),
    );
    expect(plan).toMatchObject({
      kind: 'annotate',
      notes: [expect.stringMatching(/next revision will hold too/)],
    });
  });
});
