/**
 * What the tests of `fledge convert` start from: Flagger Canaries built in code or read from
 * examples/flagger, and the converter's options. Each test file keeps the spec values its
 * cases assert on in its own builder; the envelope around them is here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { validateRollout } from '../../src/api/validate.js';
import { convertCanary } from '../../src/convert/canary.js';
import { readFlaggerInput } from '../../src/convert/documents.js';
import type { FlaggerCanary } from '../../src/convert/flagger-types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The converter's options in every test: hey webhooks go to fledge's loadtester here. */
export const convertOptions = { loadtesterUrl: 'http://fledge-loadtester.fledge-system/' };

/** A file of examples/flagger as `fledge convert` is given it: its name and its text. */
export function exampleFile(file: string): { name: string; text: string } {
  const name = `examples/flagger/${file}`;
  return { name, text: readFileSync(path.join(root, name), 'utf8') };
}

/** A file of examples/flagger, read into its Canaries and MetricTemplates. */
export function flaggerExample(file: string) {
  return readFlaggerInput([exampleFile(file)]);
}

/**
 * A Canary `name` in `namespace` whose target is the Deployment of the same name, with the
 * rest of its spec (provider first, when given) as the test writes it.
 */
export function flaggerCanary(
  name: string,
  namespace: string,
  { provider, ...spec }: Record<string, unknown>,
): FlaggerCanary {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace },
    spec: {
      ...(provider !== undefined ? { provider } : {}),
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      ...spec,
    },
  } as FlaggerCanary;
}

/**
 * The least Canary that converts: `web` in `shop` on port 80, Linkerd routing, an analysis of
 * 1m intervals, threshold 3, steps of 10 up to 50; `analysis` and `spec` add or override.
 */
export function minimalCanary(
  analysis: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
): FlaggerCanary {
  return flaggerCanary('web', 'shop', {
    provider: 'linkerd',
    service: { port: 80 },
    analysis: { interval: '1m', threshold: 3, maxWeight: 50, stepWeight: 10, ...analysis },
    ...spec,
  });
}

/** Converts a Canary that must convert; a refusal fails the test with its problems. */
export function convertedCanary(canary: FlaggerCanary) {
  const result = convertCanary(canary, [], convertOptions);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result;
}

/** Converts a Canary that must convert into a Rollout that validateRollout accepts. */
export function validConversion(canary: FlaggerCanary) {
  const result = convertedCanary(canary);
  expect(validateRollout(result.rollout)).toMatchObject({ ok: true });
  return result;
}
