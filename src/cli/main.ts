import { Command } from 'commander';

const program = new Command('fledge')
  .description('Progressive delivery for the Linkerd service mesh')
  .version('0.1.0');

await program.parseAsync(process.argv);
