import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkedAbort } from '../../../src/kube/abort.js';

describe('LinkedAbort', () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  afterEach(() => {
    process.off('warning', onWarning);
    warnings.length = 0;
  });

  it('aborts when a parent does, with its reason, and unlinks on dispose', () => {
    const parent = new AbortController();
    const linked = new LinkedAbort([parent.signal, undefined]);
    parent.abort(new Error('term ended'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('term ended');
    expect(linked.timedOut).toBe(false);

    const other = new AbortController();
    const disposed = new LinkedAbort([other.signal]);
    disposed.dispose();
    other.abort();
    expect(disposed.signal.aborted).toBe(false);
  });

  it('lets a long-lived parent carry many requests at once without a listener-leak warning', async () => {
    // A leader term is the parent of every request in flight: a busy controller has dozens.
    process.on('warning', onWarning);
    const term = new AbortController();
    const links = Array.from({ length: 50 }, () => new LinkedAbort([term.signal]));
    await nextTurn();
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    term.abort();
    expect(links.every((link) => link.signal.aborted)).toBe(true);
    for (const link of links) link.dispose();
  });

  it('refuses a deadline Node would fire at once, and says which', () => {
    expect(() => new LinkedAbort([], 2 ** 31)).toThrow(/at most 2147483647 ms/);
  });
});
