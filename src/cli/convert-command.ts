import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { convertFlaggerFiles } from '../convert/convert-files.js';
import { FLAGGER_PROVIDERS } from '../convert/routing.js';
import { CliError } from './rollout-source.js';

interface ConvertFlags {
  loadtesterUrl: string;
  provider?: string;
}

async function readSource(file: string): Promise<{ name: string; text: string }> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { name: 'stdin', text: Buffer.concat(chunks).toString('utf8') };
  }
  try {
    return { name: file, text: await readFile(file, 'utf8') };
  } catch (error) {
    throw new CliError(`convert: cannot read ${file}: ${(error as Error).message}`);
  }
}

function provider(value: string): string {
  if (!FLAGGER_PROVIDERS.includes(value)) {
    throw new InvalidArgumentError(`use one of ${FLAGGER_PROVIDERS.join(', ')}`);
  }
  return value;
}

/**
 * `fledge convert FILE...|-`: Flagger Canaries to Rollouts on stdout, everything that did not
 * carry over on stderr, after the fledge MetricTemplates and AlertProviders converted from Flagger's.
 */
export function registerConvert(program: Command): void {
  program
    .command('convert')
    .argument(
      '<files...>',
      'YAML files with Flagger Canaries (and their MetricTemplates and AlertProviders); - reads stdin',
    )
    .description(
      'convert Flagger Canaries, MetricTemplates and AlertProviders (flagger.app/v1beta1) into fledge Rollouts, MetricTemplates and AlertProviders',
    )
    .option(
      '--loadtester-url <url>',
      "fledge's loadtester, for webhooks that called Flagger's",
      'http://fledge-loadtester.fledge-system/',
    )
    .option(
      '--provider <name>',
      "Flagger's --mesh-provider, for Canaries without spec.provider",
      provider,
    )
    .action(async (files: string[], flags: ConvertFlags) => {
      const converted = convertFlaggerFiles(await Promise.all(files.map(readSource)), {
        loadtesterUrl: flags.loadtesterUrl,
        provider: flags.provider,
      });
      for (const message of converted.messages) process.stderr.write(`${message}\n`);
      const found = converted.canaries + converted.templates + converted.alertProviders;
      if (found === 0 && converted.failed === 0) {
        throw new CliError(
          `convert: no Flagger Canary, MetricTemplate or AlertProvider (apiVersion flagger.app/v1beta1) in ${files.join(', ')}`,
        );
      }
      if (converted.yaml !== '') process.stdout.write(converted.yaml);
      if (converted.failed > 0) process.exitCode = 1;
    });
}
