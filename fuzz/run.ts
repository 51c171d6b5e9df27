/**
 * `npm run fuzz [-- --seed N --validator N --converter N --loadtester N --metrics N]`:
 * a bounded, seeded fuzz run over the validator, the converter, the loadtester's endpoints
 * and the metrics adapter. It prints, per target, the cases and the crashes, hangs,
 * accepted-but-invalid inputs and unnamed problems found, with the first examples of each;
 * it exits 0 only when all of them are 0. A count of 0 skips a target.
 */
import { parseArgs } from 'node:util';
import { runInWorkers } from './sync-runner.js';
import { formatTallies, type Tally } from './tally.js';
import { syncTargets } from './targets/index.js';
import { runLoadtesterTarget, spawnLoadtester } from './targets/loadtester.js';
import { runMetricsTarget } from './targets/metrics.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    validator: { type: 'string', default: '10000' },
    converter: { type: 'string', default: '1000' },
    loadtester: { type: 'string', default: '500' },
    metrics: { type: 'string', default: '500' },
  },
});

function count(flag: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`fuzz: --${flag} ${text} is not a count: give a whole number, 0 to skip`);
    process.exit(2);
  }
  return n;
}

const seed = count('seed', values.seed);
const counts = {
  validator: count('validator', values.validator),
  converter: count('converter', values.converter),
  loadtester: count('loadtester', values.loadtester),
  metrics: count('metrics', values.metrics),
};

const tallies: Tally[] = [];
const notes: string[] = [];
const workerFile = new URL('./worker.js', import.meta.url);
for (const target of syncTargets) {
  const n = counts[target.name as 'validator' | 'converter'];
  if (n > 0)
    tallies.push(await runInWorkers(target, { seed, count: n, hangMs: 10_000 }, workerFile));
}
if (counts.loadtester > 0) {
  const run = await runLoadtesterTarget(seed, counts.loadtester, spawnLoadtester);
  tallies.push(run.tally);
  notes.push(...run.notes);
}
if (counts.metrics > 0) tallies.push(await runMetricsTarget(seed, counts.metrics));

for (const line of formatTallies(tallies, seed)) console.log(line);
for (const note of notes) console.log(`note: ${note}`);
const failures = tallies.reduce((sum, t) => sum + t.failures, 0);
console.log(failures === 0 ? 'fuzz: pass (0, 0, 0, 0)' : `fuzz: FAIL, ${failures} findings`);
process.exitCode = failures === 0 ? 0 : 1;
