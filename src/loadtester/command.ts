import { type Command, InvalidArgumentError } from 'commander';
import { type Logger, pino } from 'pino';
import { type Loadtester, startLoadtester } from './server.js';

interface LoadtesterFlags {
  port: number;
  host: string;
  allowHost: string[];
  proxy?: string;
}

export function registerLoadtester(program: Command): void {
  program
    .command('loadtester')
    .description(
      'Serve Flagger-style webhooks that generate load with autocannon, plus manual gates',
    )
    .option('--port <port>', 'port to listen on', parsePort, 8080)
    .option('--host <address>', 'address to bind', '0.0.0.0')
    .option(
      '--allow-host <host>',
      'also allow this target host besides cluster-local names (exact, or *.suffix); repeatable',
      collect,
      [],
    )
    .option(
      '--proxy <url>',
      'send load through this HTTP forward proxy (default: $FLEDGE_MESH_PROXY)',
      parseProxy,
    )
    .action(async (flags: LoadtesterFlags) => {
      const logger = pino({ name: 'fledge-loadtester' });
      const envProxy = process.env.FLEDGE_MESH_PROXY?.trim();
      const proxy =
        flags.proxy ?? (envProxy ? checkProxy(envProxy, 'FLEDGE_MESH_PROXY') : undefined);
      const loadtester = await startLoadtester({
        port: flags.port,
        host: flags.host,
        allowHosts: flags.allowHost,
        ...(proxy === undefined ? {} : { proxy }),
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

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('give a port number from 0 to 65535');
  }
  return port;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
