/** Runs a range of one synchronous target's cases and reports each; see sync-runner.ts. */
import { parentPort, workerData } from 'node:worker_threads';
import { syncTargets } from './targets/index.js';

const { target, seed, from, to } = workerData as {
  target: string;
  seed: number;
  from: number;
  to: number;
};
const chosen = syncTargets.find((t) => t.name === target);
if (!chosen || !parentPort) throw new Error(`fuzz worker: no target ${target}`);
for (let index = from; index < to; index++) {
  parentPort.postMessage({ index, result: chosen.runCase(seed, index) });
}
