import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import type { TestProject } from 'vitest/node';
import { startPlayground } from '../../src/playground/playground.js';

declare module 'vitest' {
  export interface ProvidedContext {
    KUBECONFIG: string;
    FLEDGE_PROMETHEUS_URL: string;
    FLEDGE_MESH_PROXY: string;
  }
}

/**
 * One playground for the whole e2e run, named after this process so that runs by several
 * people (or helpers) on one machine do not share state. Missing binaries fail the run with
 * the command that builds them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = pino({ level: process.env.FLEDGE_E2E_LOG ?? 'warn' });
  const started = Date.now();
  const playground = await startPlayground({
    name: `e2e-${process.pid}`,
    // Tests run their own controllers, one per namespace set; they share the loadtester.
    fledge: { controller: false, loadtester: true },
    logger,
  });
  logger.info({ ms: Date.now() - started, stateDir: playground.stateDir }, 'e2e playground ready');
  const env = playground.env();
  project.provide('KUBECONFIG', env.KUBECONFIG ?? '');
  project.provide('FLEDGE_PROMETHEUS_URL', env.FLEDGE_PROMETHEUS_URL ?? '');
  project.provide('FLEDGE_MESH_PROXY', env.FLEDGE_MESH_PROXY ?? '');
  return async () => {
    await playground.stop();
    await rm(playground.stateDir, { recursive: true, force: true });
  };
}
