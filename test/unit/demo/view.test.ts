import { describe, expect, it } from 'vitest';
import type { RolloutObject } from '../../../src/cli/rollout-object.js';
import { createView } from '../../../src/demo/view.js';

const rollout = (phase: string, canaryWeight: number, message = ''): RolloutObject => ({
  metadata: { name: 'podinfo', namespace: 'demo' },
  spec: { analysis: { maxWeight: 50, threshold: 3 } },
  status: { phase: phase as 'Progressing', canaryWeight, failedChecks: 0, message },
});

function capture(isTTY: boolean) {
  let text = '';
  const view = createView(
    { write: (chunk: string) => (text += chunk), isTTY, columns: 0 },
    () => new Date('2026-01-01T00:00:00Z'),
  );
  return { view, text: () => text };
}

describe('the demo view', () => {
  it('prints one progress line per change of phase or weight when not on a terminal', () => {
    const { view, text } = capture(false);
    view.say('healthy release');
    view.show(rollout('Progressing', 10, 'canary weight 10%'));
    view.show(rollout('Progressing', 10, 'still 10%'));
    view.show(rollout('Progressing', 20));
    view.close();
    expect(text().split('\n')).toEqual([
      'healthy release',
      '2026-01-01T00:00:00.000Z demo/podinfo Progressing weight=10/50 failed=0/3 revision=- "canary weight 10%"',
      '2026-01-01T00:00:00.000Z demo/podinfo Progressing weight=20/50 failed=0/3 revision=-',
      '',
    ]);
  });

  it('redraws the rollout in place on a terminal, keeping story lines above it', () => {
    const { view, text } = capture(true);
    view.show(rollout('Progressing', 10));
    view.say('faulty release');
    view.close();
    const frames = text().split('\u001b[0J');
    expect(frames[1]).toMatch(/^demo\/podinfo {2}Progressing/);
    // The story line replaces the frame (cursor up over its 3 lines), and the frame follows it.
    expect(frames[1]?.endsWith('\u001b[3F')).toBe(true);
    expect(frames[2]).toBe('faulty release\n');
    expect(frames[3]).toMatch(/weight \[####\.+\] 10% of 50%/);
  });
});
