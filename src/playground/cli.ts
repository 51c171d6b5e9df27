import { Command } from 'commander';
import { registerPlayground } from './command.js';

/**
 * The playground's own entry point: `up` starts its detached supervisor through it, so the
 * playground runs the same whether or not the main CLI includes the playground commands.
 */
const program = new Command('fledge');
registerPlayground(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`fledge: ${(error as Error).message}\n`);
  process.exit(1);
}
