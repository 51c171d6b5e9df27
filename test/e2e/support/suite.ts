import { afterAll, beforeAll } from 'vitest';
import { type ControllerFlags, type ControllerProcess, startController } from './controller.js';
import { createNamespace } from './rollout.js';
import { startTraffic, type Traffic } from './traffic.js';

/** What a file's scenarios share: their namespaces, one controller, and load that ends with the file. */
export interface ControllerSuite {
  /** The namespace of one scenario, unique to this run. */
  ns(scenario: string): string;
  /** Steady requests through the mesh proxy, stopped when the file ends. */
  traffic(urls: string[], rpsPerUrl: number, maxMs?: number): Traffic;
  /** Anything else to stop when the file ends (a load test, a receiver). */
  stopAfterAll(stop: () => Promise<unknown>): void;
}

/**
 * One namespace per scenario and one `fledge controller` process watching them all, started
 * before the file's tests (after `before`, for servers the scenarios name) and stopped after
 * them with every load the scenarios started.
 */
export function controllerSuite(
  prefix: string,
  scenarios: readonly string[],
  options: { flags?: Omit<ControllerFlags, 'namespaces'>; before?: () => Promise<void> } = {},
): ControllerSuite {
  const run = Date.now().toString(36);
  const ns = (scenario: string) => `${prefix}-${scenario}-${run}`;
  const stops: Array<() => Promise<unknown>> = [];
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    await options.before?.();
    for (const scenario of scenarios) await createNamespace(ns(scenario));
    controller = startController({ ...options.flags, namespaces: scenarios.map(ns) });
    await controller.url();
  });

  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
    await controller?.kill();
  });

  return {
    ns,
    traffic(urls, rpsPerUrl, maxMs) {
      const load = startTraffic(urls, rpsPerUrl, maxMs);
      stops.push(() => load.stop());
      return load;
    },
    stopAfterAll(stop) {
      stops.push(stop);
    },
  };
}
