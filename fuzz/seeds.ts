/** The documents the fuzzer mutates: fledge's own examples and Flagger's published Canaries. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Json } from './hostile-values.js';

/** The checkout, found from this file whether it runs from fuzz/ (vitest) or dist/fuzz/. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'crds', 'rollout.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('fuzz: cannot find the checkout (crds/rollout.yaml)');
    dir = parent;
  }
  return dir;
}

function yamlDocuments(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJSON() as Json);
}

function ofKind(documents: Json[], apiVersionPrefix: string, kind: string): Json[] {
  return documents.filter(
    (doc) =>
      doc !== null &&
      typeof doc === 'object' &&
      !Array.isArray(doc) &&
      String(doc.apiVersion ?? '').startsWith(apiVersionPrefix) &&
      doc.kind === kind,
  );
}

/** Every Rollout in examples/*.yaml and fuzz/seeds/rollouts.yaml. */
export function rolloutSeeds(): Json[] {
  const root = repoRoot();
  const files = [
    ...readdirSync(path.join(root, 'examples'))
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => path.join(root, 'examples', name)),
    path.join(root, 'fuzz', 'seeds', 'rollouts.yaml'),
  ];
  return files.flatMap((file) => ofKind(yamlDocuments(file), 'fledge.dev/', 'Rollout'));
}

export interface FlaggerSeeds {
  canaries: Json[];
  templates: Json[];
  /** Webhooks and metrics found anywhere in Flagger's docs, spliced into Canaries. */
  webhooks: Json[];
  metrics: Json[];
}

/** Flagger's Canaries from examples/flagger/ and from Flagger's docs (fuzz/seeds/flagger-docs.json). */
export function flaggerSeeds(): FlaggerSeeds {
  const root = repoRoot();
  const docs = JSON.parse(
    readFileSync(path.join(root, 'fuzz', 'seeds', 'flagger-docs.json'), 'utf8'),
  ) as FlaggerSeeds;
  const examples = readdirSync(path.join(root, 'examples', 'flagger'))
    .filter((name) => name.endsWith('.yaml'))
    .flatMap((name) => yamlDocuments(path.join(root, 'examples', 'flagger', name)));
  return {
    canaries: [...ofKind(examples, 'flagger.app/', 'Canary'), ...docs.canaries],
    templates: [...ofKind(examples, 'flagger.app/', 'MetricTemplate'), ...docs.templates],
    webhooks: docs.webhooks,
    metrics: docs.metrics,
  };
}
