import { describe, expect, it } from 'vitest';
import {
  describeWaiting,
  initialMemory,
  judgeWait,
  remember,
} from '../../../src/cli/wait-verdict.js';
import { rollout } from './fixtures.js';

const expected = { revision: 'new' };

describe('judgeWait with the target revision known', () => {
  it('keeps waiting while the rollout still reports Succeeded for the previous revision', () => {
    const stale = rollout({ phase: 'Succeeded', currentRevision: 'old' });
    expect(judgeWait(stale, expected, initialMemory(stale))).toEqual({ done: false });
  });

  it('keeps waiting on a Failed status about the previous revision', () => {
    const stale = rollout({ phase: 'Failed', currentRevision: 'old' });
    expect(judgeWait(stale, expected, initialMemory(stale))).toEqual({ done: false });
  });

  it('succeeds once the expected revision is Succeeded', () => {
    const done = rollout({ phase: 'Succeeded', currentRevision: 'new' });
    expect(judgeWait(done, expected, initialMemory(done))).toMatchObject({
      done: true,
      exitCode: 0,
    });
  });

  it('succeeds on a first revision, which is Initialized without analysis', () => {
    const first = rollout({ phase: 'Initialized', currentRevision: 'new' });
    expect(judgeWait(first, expected, initialMemory(first))).toMatchObject({
      done: true,
      exitCode: 0,
      message: expect.stringMatching(/initialized/),
    });
  });

  it('fails when the expected revision was rolled back, with the checks and the reason', () => {
    const failed = rollout({
      phase: 'Failed',
      currentRevision: 'new',
      failedChecks: 5,
      message: 'success rate 80 < 99',
    });
    expect(judgeWait(failed, expected, initialMemory(failed))).toEqual({
      done: true,
      exitCode: 1,
      message:
        'rollout prod/api revision new failed and was rolled back (5/5 failed checks): success rate 80 < 99',
    });
  });

  it('keeps waiting during an analysis', () => {
    const running = rollout({ phase: 'Progressing', currentRevision: 'new' });
    expect(judgeWait(running, expected, initialMemory(running))).toEqual({ done: false });
  });

  it('keeps waiting while a retry annotation has not been acted on', () => {
    const retrying = rollout(
      { phase: 'Failed', currentRevision: 'new' },
      { annotations: { 'fledge.dev/retry': 'true' } },
    );
    expect(judgeWait(retrying, expected, initialMemory(retrying))).toEqual({ done: false });
  });

  it('fails at once on an invalid spec the controller has seen', () => {
    const invalid = rollout(
      {
        phase: 'Succeeded',
        currentRevision: 'old',
        observedGeneration: 2,
        conditions: [
          { type: 'Invalid', status: 'True', message: 'spec.analysis.stepWeight: 60 > 50' },
        ],
      },
      { generation: 2 },
    );
    expect(judgeWait(invalid, expected, initialMemory(invalid))).toMatchObject({
      done: true,
      exitCode: 1,
      message: expect.stringMatching(/invalid spec.*stepWeight/),
    });
  });

  it('ignores an Invalid condition about an older generation', () => {
    const fixed = rollout(
      {
        phase: 'Succeeded',
        currentRevision: 'old',
        observedGeneration: 1,
        conditions: [{ type: 'Invalid', status: 'True' }],
      },
      { generation: 2 },
    );
    expect(judgeWait(fixed, expected, initialMemory(fixed))).toEqual({ done: false });
  });
});

describe('judgeWait with the target revision unknown', () => {
  const unknown = { unknown: 'forbidden' };

  it('does not take a finished status from before the wait as the answer', () => {
    const stale = rollout({ phase: 'Succeeded', currentRevision: 'old' });
    expect(judgeWait(stale, unknown, initialMemory(stale))).toEqual({ done: false });
  });

  it('answers once the rollout moved through an analysis', () => {
    const start = rollout({ phase: 'Succeeded', currentRevision: 'old' });
    let memory = initialMemory(start);
    memory = remember(memory, rollout({ phase: 'Progressing', currentRevision: 'old' }));
    const end = rollout({ phase: 'Succeeded', currentRevision: 'old' });
    expect(judgeWait(end, unknown, memory)).toMatchObject({ done: true, exitCode: 0 });
  });

  it('answers once the rollout reports another revision', () => {
    const start = rollout({ phase: 'Failed', currentRevision: 'old' });
    const end = rollout({ phase: 'Failed', currentRevision: 'new' });
    expect(judgeWait(end, unknown, initialMemory(start))).toMatchObject({
      done: true,
      exitCode: 1,
    });
  });
});

describe('describeWaiting', () => {
  it('says when the controller has not started on the new revision', () => {
    const stale = rollout({ phase: 'Succeeded', currentRevision: 'old' });
    expect(describeWaiting(stale, expected)).toMatch(
      /has not started on the target's revision new/,
    );
  });

  it('describes an analysis still under way', () => {
    const running = rollout({
      phase: 'Progressing',
      currentRevision: 'new',
      canaryWeight: 20,
      failedChecks: 1,
      message: 'advancing',
    });
    expect(describeWaiting(running, expected)).toBe(
      'rollout prod/api is Progressing at weight 20% with 1 failed checks: advancing',
    );
  });
});
