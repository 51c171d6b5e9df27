/**
 * Runs a synchronous target's cases. From the command line they run in a worker thread, so
 * a case that never returns (an endless loop, a catastrophic regular expression) is counted
 * as a hang and the worker replaced; inside a test they run in-process and a case slower than
 * the bound counts as a hang once it returns.
 */
import { Worker } from 'node:worker_threads';
import { type CaseResult, type Finding, Tally } from './tally.js';
import type { SyncTarget } from './targets/sync-target.js';

export interface SyncRun {
  seed: number;
  count: number;
  /** A case taking longer is a hang. */
  hangMs: number;
}

export function runInProcess(target: SyncTarget, run: SyncRun): Tally {
  const tally = new Tally(target.name);
  for (let index = 0; index < run.count; index++) {
    const started = performance.now();
    const result = target.runCase(run.seed, index);
    const elapsed = performance.now() - started;
    const hang: Finding = {
      kind: 'hang',
      detail: `took ${Math.round(elapsed)} ms (bound ${run.hangMs} ms)`,
    };
    tally.record(index, elapsed > run.hangMs ? { ...result, finding: hang } : result);
  }
  return tally;
}

interface CaseMessage {
  index: number;
  result: CaseResult;
}

export async function runInWorkers(
  target: SyncTarget,
  run: SyncRun,
  workerFile: URL,
): Promise<Tally> {
  const tally = new Tally(target.name);
  let next = 0;
  while (next < run.count) {
    next = await new Promise<number>((resolve) => {
      const worker = new Worker(workerFile, {
        workerData: { target: target.name, seed: run.seed, from: next, to: run.count },
        resourceLimits: { maxOldGenerationSizeMb: 2048 },
      });
      let expected = next;
      let settled = false;
      const finish = (resumeAt: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        void worker.terminate();
        resolve(resumeAt);
      };
      let watchdog = setTimeout(onHang, run.hangMs);
      function onHang() {
        tally.record(expected, {
          finding: { kind: 'hang', detail: `no answer within ${run.hangMs} ms` },
        });
        finish(expected + 1);
      }
      worker.on('message', (message: CaseMessage) => {
        tally.record(message.index, message.result);
        expected = message.index + 1;
        clearTimeout(watchdog);
        watchdog = setTimeout(onHang, run.hangMs);
      });
      worker.on('error', (error) => {
        tally.record(expected, {
          finding: { kind: 'crash', detail: `the worker died: ${error.message.slice(0, 200)}` },
        });
        finish(expected + 1);
      });
      worker.on('exit', () => {
        if (expected < run.count && !settled) {
          tally.record(expected, {
            finding: {
              kind: 'crash',
              detail: 'the worker exited in the middle of the case',
            },
          });
          finish(expected + 1);
        } else finish(run.count);
      });
    });
  }
  return tally;
}
