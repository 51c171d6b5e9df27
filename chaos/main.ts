import { randomInt } from 'node:crypto';
import { CommanderError } from 'commander';
import { describeLoad, machineLoad } from './environment.js';
import { parseChaosArgs } from './options.js';
import { formatReport, verdict } from './report.js';
import { runChaos } from './run.js';

/**
 * `npm run chaos`: exit 0 on a pass (no violation, every revision checked, no crash), 1 on
 * a failure, 2 when the run could not be made (bad flags, the playground did not start, the
 * machine or a person stopped it early with nothing broken so far).
 */
let options: ReturnType<typeof parseChaosArgs>;
try {
  options = parseChaosArgs(process.argv.slice(2), () => randomInt(2 ** 32 - 1));
} catch (error) {
  process.exit(error instanceof CommanderError && error.exitCode === 0 ? 0 : 2);
}
const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => interrupt.abort(new Error(`interrupted by ${signal}`)));
}
try {
  const report = await runChaos({
    ...options,
    progress: (line) => console.log(line),
    signal: interrupt.signal,
  });
  console.log(`\n${formatReport(report)}`);
  process.exit({ PASS: 0, FAIL: 1, 'NOT MADE': 2 }[verdict(report)]);
} catch (error) {
  console.error(`chaos run not made: ${(error as Error).message} (${describeLoad(machineLoad())})`);
  process.exit(2);
}
