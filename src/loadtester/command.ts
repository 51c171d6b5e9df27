import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { type Logger, pino } from 'pino';
import { portOption } from '../cli/port-option.js';
import { AllowListError, parseAllowList } from './allow-list.js';
import { TOKEN_ENV, tokenProblem } from './auth.js';
import { readClusterDomain } from './cluster-domain.js';
import type { Loadtester } from './server.js';

interface LoadtesterFlags {
  port: number;
  host: string;
  allowHost: string[];
  proxy?: string;
  tokenFile?: string;
}

export function registerLoadtester(program: Command): void {
  program
    .command('loadtester')
    .description(
      'Serve Flagger-style webhooks that generate load with autocannon, plus manual gates',
    )
    .option('--port <port>', 'port to listen on', portOption, 8080)
    .option('--host <address>', 'address to bind', '0.0.0.0')
    .option(
      '--allow-host <host>',
      'also allow this target besides cluster Services: a host name, *.suffix, IP address or address/prefix; repeatable',
      collectAllowed,
      [],
    )
    .option(
      '--proxy <url>',
      'send load through this HTTP forward proxy (default: $FLEDGE_MESH_PROXY)',
      parseProxy,
    )
    .option(
      '--token-file <path>',
      `require this shared token (a file from a Secret) on every webhook and gate call (default: $${TOKEN_ENV})`,
    )
    .action(async (flags: LoadtesterFlags) => {
      const logger = pino({ name: 'fledge-loadtester' });
      const envProxy = process.env.FLEDGE_MESH_PROXY?.trim();
      const proxy =
        flags.proxy ?? (envProxy ? checkProxy(envProxy, 'FLEDGE_MESH_PROXY') : undefined);
      const token = readToken(flags.tokenFile, process.env[TOKEN_ENV]);
      // autocannon loads with the command, not with the CLI that also runs the controller.
      const { startLoadtester } = await import('./server.js');
      const loadtester = await startLoadtester({
        port: flags.port,
        host: flags.host,
        allowHosts: flags.allowHost,
        ...(proxy === undefined ? {} : { proxy }),
        ...(token === undefined ? {} : { token }),
        cluster: readClusterDomain(),
        logger,
      });
      stopOnSignals(process, loadtester, logger, (code) => process.exit(code));
    });
}

/** SIGTERM (a pod being deleted) or SIGINT stops all load, then the server, then the process. */
export function stopOnSignals(
  signals: Pick<NodeJS.EventEmitter, 'once'>,
  loadtester: Pick<Loadtester, 'stop'>,
  logger: Pick<Logger, 'error'>,
  exit: (code: number) => void,
): void {
  const stop = () => {
    loadtester.stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'loadtester did not stop cleanly');
        exit(1);
      },
    );
  };
  signals.once('SIGTERM', stop);
  signals.once('SIGINT', stop);
}

function collectAllowed(value: string, previous: string[]): string[] {
  try {
    parseAllowList([value]);
  } catch (error) {
    if (error instanceof AllowListError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return [...previous, value];
}

/**
 * The token from --token-file, else from the environment, without trailing line breaks. An
 * empty file is an error (authentication was asked for); an empty variable means none.
 */
export function readToken(
  path: string | undefined,
  fromEnv: string | undefined,
): string | undefined {
  let token: string;
  let source: string;
  if (path !== undefined) {
    source = `--token-file ${path}`;
    try {
      token = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
    } catch (error) {
      throw new Error(
        `${source} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): mount the Secret there or fix the path`,
      );
    }
  } else {
    source = TOKEN_ENV;
    token = (fromEnv ?? '').replace(/[\r\n]+$/, '');
    if (token === '') return undefined;
  }
  const problem = tokenProblem(token);
  if (problem) throw new Error(`the token from ${source} ${problem}`);
  return token;
}

function parseProxy(text: string): string {
  return checkProxy(text, '--proxy');
}

function checkProxy(text: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:') {
    throw new InvalidArgumentError(
      `${source} "${text}" is not an http:// URL: give the mesh proxy as e.g. http://127.0.0.1:3128`,
    );
  }
  return url.href;
}
