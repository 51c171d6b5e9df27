import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { stopOnSignals } from '../../../src/loadtester/command.js';

describe('stopOnSignals', () => {
  it.each(['SIGTERM', 'SIGINT'])(
    'stops the loadtester on %s and exits 0 once stopped',
    async (signal) => {
      const signals = new EventEmitter();
      const stop = vi.fn(() => Promise.resolve());
      const exit = vi.fn();
      stopOnSignals(signals, { stop }, { error: vi.fn() }, exit);
      signals.emit(signal);
      await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
      expect(stop).toHaveBeenCalledOnce();
    },
  );

  it('logs and exits 1 when stopping fails', async () => {
    const signals = new EventEmitter();
    const error = vi.fn();
    const exit = vi.fn();
    stopOnSignals(signals, { stop: () => Promise.reject(new Error('boom')) }, { error }, exit);
    signals.emit('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    expect(error).toHaveBeenCalledOnce();
  });
});
