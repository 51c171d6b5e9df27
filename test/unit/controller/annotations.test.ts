import { describe, expect, it } from 'vitest';
import { manualIntent } from '../../../src/controller/annotations.js';

describe('manualIntent', () => {
  it('turns a promote annotation into a promote and consumes it', () => {
    expect(manualIntent({ 'fledge.dev/promote': 'true' }, false)).toEqual({
      actions: ['promote'],
      consumed: ['fledge.dev/promote'],
    });
  });

  it('prefers abort when promote and abort are both set', () => {
    const intent = manualIntent(
      { 'fledge.dev/promote': 'true', 'fledge.dev/abort': 'true' },
      false,
    );
    expect(intent.actions).toEqual(['abort']);
    expect(intent.consumed).toEqual(['fledge.dev/promote', 'fledge.dev/abort']);
  });

  it('consumes a one-shot annotation that is not "true" without acting', () => {
    expect(manualIntent({ 'fledge.dev/retry': 'no' }, false)).toEqual({
      actions: [],
      consumed: ['fledge.dev/retry'],
    });
  });

  it('pauses while the pause annotation is present, once', () => {
    expect(manualIntent({ 'fledge.dev/pause': 'true' }, false).actions).toEqual(['pause']);
    expect(manualIntent({ 'fledge.dev/pause': 'true' }, true).actions).toEqual([]);
  });

  it('resumes when the pause annotation is removed', () => {
    expect(manualIntent({}, true).actions).toEqual(['resume']);
    expect(manualIntent({ 'fledge.dev/pause': 'false' }, true).actions).toEqual(['resume']);
  });

  it('never consumes the pause annotation', () => {
    expect(manualIntent({ 'fledge.dev/pause': 'true' }, false).consumed).toEqual([]);
  });

  it('does nothing without annotations', () => {
    expect(manualIntent(undefined, false)).toEqual({ actions: [], consumed: [] });
  });
});
