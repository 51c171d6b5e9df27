import { getEventListeners } from 'node:events';
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

  it('puts one listener on a parent however many requests link to it, and none once it fired', () => {
    // Node's EventTarget walks every listener on each add and remove: a thousand requests
    // queued on one leader term made linking quadratic.
    const term = new AbortController();
    const links = Array.from({ length: 1000 }, () => new LinkedAbort([term.signal]));
    expect(getEventListeners(term.signal, 'abort')).toHaveLength(1);
    for (const link of links.slice(0, 500)) link.dispose();
    term.abort(new Error('term ended'));
    expect(links.filter((link) => link.signal.aborted)).toHaveLength(500);
    expect(links.slice(500).every((link) => link.signal.reason.message === 'term ended')).toBe(
      true,
    );
    expect(getEventListeners(term.signal, 'abort')).toHaveLength(0);
    const late = new LinkedAbort([term.signal]);
    expect(late.signal.aborted).toBe(true);
  });

  it('leaves the others linked when one request is disposed while the parent aborts', () => {
    const term = new AbortController();
    const first = new LinkedAbort([term.signal]);
    const second = new LinkedAbort([term.signal]);
    first.signal.addEventListener('abort', () => second.dispose());
    term.abort();
    expect(first.signal.aborted).toBe(true);
    expect(second.signal.aborted).toBe(false);
  });

  it('refuses a deadline Node would fire at once, and says which', () => {
    expect(() => new LinkedAbort([], 2 ** 31)).toThrow(/at most 2147483647 ms/);
  });
});
