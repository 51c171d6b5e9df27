import { stringify } from 'yaml';
import type { KubeObject } from '../kube/api-server.js';
import { withoutManagedFields } from '../kube/managed-fields.js';

export type OutputFormat = 'json' | 'yaml';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'yaml'];

/**
 * One object as itself, several as a `v1` List, as `kubectl get -o` prints them, so the
 * output can be piped to jq, yq or `kubectl apply`.
 */
export function formatObjects(
  objects: KubeObject[],
  format: OutputFormat,
  single: boolean,
): string {
  const cleaned = objects.map(withoutManagedFields);
  const document =
    single && cleaned.length === 1
      ? cleaned[0]
      : { apiVersion: 'v1', kind: 'List', items: cleaned, metadata: { resourceVersion: '' } };
  return format === 'json'
    ? `${JSON.stringify(document, null, 2)}\n`
    : stringify(document, { lineWidth: 0 });
}
