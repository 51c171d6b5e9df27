import { describe, expect, it } from 'vitest';
import type { Json } from '../../../fuzz/hostile-values.js';
import { fuzzedRollout } from '../../../fuzz/targets/validator.js';
import { validateRollout } from '../../../src/api/validate.js';
import { statusCodeOf } from '../../../src/kube/api-server.js';
import { useApiServer } from '../../support/apiserver.js';
import { workloadRollout } from '../../unit/api/fixtures.js';

// A Kubernetes 1.20 API server with crds/rollout.yaml: it must take the CRD (metadata.name
// constraints included), and refuse at least what the schema part of validation refuses.
const cluster = useApiServer(['rollout']);

/** Whether the API server would store `rollout` in `namespace` (a server-side dry run). */
async function stored(rollout: Record<string, unknown>, namespace: string): Promise<string> {
  const metadata = { ...(rollout.metadata as object), namespace };
  try {
    await cluster().api.request(
      'POST',
      `/apis/fledge.dev/v1alpha1/namespaces/${namespace}/rollouts`,
      {
        query: { dryRun: 'All' },
        body: { ...rollout, metadata },
      },
    );
    return 'stored';
  } catch (error) {
    if (statusCodeOf(error) === 422 || statusCodeOf(error) === 400) return 'refused';
    throw error;
  }
}

describe('the API server and validation agree on the limits', () => {
  it.each([
    ['a name of 63 characters', 'stored', 'metadata.name', 'a'.repeat(63)],
    ['a name of 64 characters', 'refused', 'metadata.name', 'a'.repeat(64)],
    ['a target of 245 characters', 'stored', 'spec.targetRef.name', 'a'.repeat(245)],
    ['a target of 246 characters', 'refused', 'spec.targetRef.name', 'a'.repeat(246)],
    ['threshold 1000', 'stored', 'spec.analysis.threshold', 1000],
    ['threshold 1001', 'refused', 'spec.analysis.threshold', 1001],
    ['threshold 2^53 + 2', 'refused', 'spec.analysis.threshold', 2 ** 53 + 2],
    ['progressDeadlineSeconds 604800', 'stored', 'spec.progressDeadlineSeconds', 604_800],
    ['progressDeadlineSeconds 604801', 'refused', 'spec.progressDeadlineSeconds', 604_801],
    ['an interval of 21 characters', 'refused', 'spec.analysis.interval', `${'1'.repeat(20)}s`],
    // Kubernetes 1.20 reads an empty string under these maps as null, and refuses it (so does
    // validation, and the Services' labels and annotations are never empty for that reason).
    ['a cookie match of ""', 'refused', 'spec.analysis.match', [{ cookies: { a: { exact: '' } } }]],
    ['a header match of ""', 'refused', 'spec.analysis.match', [{ headers: { a: { exact: '' } } }]],
    [
      'webhook metadata of 64 KiB + 1',
      'refused',
      'spec.analysis.webhooks.0.metadata.body',
      'a'.repeat(65_537),
    ],
    [
      'a Service label value of 63 characters',
      'stored',
      'spec.service.apex.labels.a',
      'v'.repeat(63),
    ],
    [
      'a Service label value of 64 characters',
      'refused',
      'spec.service.apex.labels.a',
      'v'.repeat(64),
    ],
    ['a Service label value of ""', 'refused', 'spec.service.canary.labels.a', ''],
    ['a Service annotation of ""', 'refused', 'spec.service.primary.annotations.a', ''],
    [
      'a Service annotation of 32 KiB',
      'stored',
      'spec.service.apex.annotations.a',
      'v'.repeat(32768),
    ],
    [
      'a Service annotation of 32 KiB + 1',
      'refused',
      'spec.service.apex.annotations.a',
      'v'.repeat(32769),
    ],
    ['a Service port name of 63 characters', 'stored', 'spec.service.portName', 'p'.repeat(63)],
    ['a Service port name in capitals', 'refused', 'spec.service.portName', 'HTTP'],
  ])('%s: the API server and validation say %s', async (_case, verdict, path, value) => {
    const namespace = await cluster().createNamespace('limits');
    const rollout = workloadRollout({ [path]: value });
    expect(await stored(rollout, namespace)).toBe(verdict);
    expect(validateRollout(rollout).ok).toBe(verdict === 'stored');
  });

  it('stores every fuzzed Rollout that validation accepts (300 cases)', async () => {
    const namespace = await cluster().createNamespace('fuzz');
    const refusedByServer: string[] = [];
    let accepted = 0;
    for (let index = 0; index < 300; index++) {
      const { value, mutations } = fuzzedRollout(7, index);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const metadata = value.metadata;
      if (metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)) {
        metadata.namespace = namespace;
      }
      if (!validateRollout(value).ok) continue;
      accepted += 1;
      if ((await stored(value as Record<string, Json>, namespace)) === 'refused') {
        refusedByServer.push(`case ${index}: ${mutations.join('; ')}`);
      }
    }
    expect(accepted).toBeGreaterThan(20);
    expect(refusedByServer).toEqual([]);
  });
});
