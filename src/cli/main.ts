import { Command } from 'commander';
import { registerController } from '../controller/command.js';
import { registerDemo } from '../demo/command.js';
import { registerLoadtester } from '../loadtester/command.js';
import { registerPlayground } from '../playground/command.js';
import { registerSimulate } from '../sim/simulate.js';
import { registerRolloutCommands } from './commands.js';

const program = new Command('fledge')
  .description('Progressive delivery for the Linkerd service mesh')
  .version('0.1.0');

registerController(program);
registerLoadtester(program);
registerPlayground(program);
registerSimulate(program);
registerDemo(program);
registerRolloutCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`fledge: ${(error as Error).message}\n`);
  process.exit(1);
}
