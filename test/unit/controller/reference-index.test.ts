import { describe, expect, it } from 'vitest';
import {
  type ConfigRef,
  configKey,
  ReferenceIndex,
} from '../../../src/controller/reference-index.js';
import type { ConfigReferences } from '../../../src/controller/revision.js';

function indexOver(templates: Map<string, ConfigReferences>) {
  const events: string[] = [];
  const index = new ReferenceIndex((namespace, name) => templates.get(`${namespace}/${name}`), {
    retained: (ref) => events.push(`+${configKey(ref)}`),
    released: (ref) => events.push(`-${configKey(ref)}`),
  });
  return { index, events };
}

const deployments = (target: string) => ({
  namespace: 'prod',
  target,
  primary: `${target}-primary`,
});
const cm = (name: string): ConfigRef => ({ kind: 'ConfigMap', namespace: 'prod', name });

describe('ReferenceIndex', () => {
  it('finds the Rollouts of a target and of its primary', () => {
    const { index } = indexOver(new Map());
    index.setRollout('prod/a', deployments('api'));
    index.setRollout('prod/b', deployments('web'));
    expect(index.rolloutsOfDeployment('prod', 'api')).toEqual(['prod/a']);
    expect(index.rolloutsOfDeployment('prod', 'api-primary')).toEqual(['prod/a']);
    expect(index.rolloutsOfDeployment('other', 'api')).toEqual([]);
  });

  it("finds the Rollouts of an autoscaler by spec.autoscalerRef and by the primary's copy, until it changes", () => {
    const { index } = indexOver(new Map());
    index.setRollout('prod/a', { ...deployments('api'), autoscaler: 'api-hpa' });
    index.setRollout('prod/b', { ...deployments('web'), autoscaler: 'api-hpa' });
    index.setRollout('prod/c', deployments('api'));
    expect(index.rolloutsOfAutoscaler('prod', 'api-hpa')).toEqual(['prod/a', 'prod/b']);
    expect(index.rolloutsOfAutoscaler('prod', 'api-hpa-primary')).toEqual(['prod/a', 'prod/b']);
    expect(index.rolloutsOfAutoscaler('prod', 'api')).toEqual([]);
    expect(index.rolloutsOfAutoscaler('other', 'api-hpa')).toEqual([]);

    index.setRollout('prod/a', { ...deployments('api'), autoscaler: 'other-hpa' });
    index.setRollout('prod/b', null);
    expect(index.rolloutsOfAutoscaler('prod', 'api-hpa')).toEqual([]);
    expect(index.rolloutsOfAutoscaler('prod', 'api-hpa-primary')).toEqual([]);
    expect(index.rolloutsOfAutoscaler('prod', 'other-hpa-primary')).toEqual(['prod/a']);
    index.setRollout('prod/a', deployments('api'));
    expect(index.rolloutsOfAutoscaler('prod', 'other-hpa')).toEqual([]);
    // Nothing is left behind for autoscalers no Rollout names any more.
    expect((index as unknown as { byAutoscaler: Map<string, unknown> }).byAutoscaler.size).toBe(0);
  });

  it('retains a ConfigMap at its first reader and releases it after its last', () => {
    const templates = new Map([['prod/api', { configMaps: ['cfg'], secrets: ['key'] }]]);
    const { index, events } = indexOver(templates);
    index.setRollout('prod/a', deployments('api'));
    index.setRollout('prod/b', deployments('api'));
    expect(events).toEqual(['+ConfigMap/prod/cfg', '+Secret/prod/key']);
    expect(index.rolloutsOfConfig(cm('cfg')).sort()).toEqual(['prod/a', 'prod/b']);
    index.setRollout('prod/a', null);
    expect(events).toHaveLength(2);
    index.setRollout('prod/b', null);
    expect(events.slice(2)).toEqual(['-ConfigMap/prod/cfg', '-Secret/prod/key']);
    expect(index.isReferenced(cm('cfg'))).toBe(false);
    expect(index.referenced()).toEqual([]);
  });

  it('follows a target whose template starts or stops reading a ConfigMap', () => {
    const templates = new Map<string, ConfigReferences>();
    const { index, events } = indexOver(templates);
    index.setRollout('prod/a', deployments('api'));
    expect(events).toEqual([]);
    templates.set('prod/api', { configMaps: ['one'], secrets: [] });
    index.deploymentChanged('prod', 'api');
    templates.set('prod/api', { configMaps: ['two'], secrets: [] });
    index.deploymentChanged('prod', 'api');
    expect(events).toEqual(['+ConfigMap/prod/one', '-ConfigMap/prod/one', '+ConfigMap/prod/two']);
    expect(index.rolloutsOfConfig(cm('one'))).toEqual([]);
    expect(index.rolloutsOfConfig(cm('two'))).toEqual(['prod/a']);
  });

  it('moves a Rollout whose target changes', () => {
    const templates = new Map([
      ['prod/api', { configMaps: ['a'], secrets: [] }],
      ['prod/web', { configMaps: ['b'], secrets: [] }],
    ]);
    const { index, events } = indexOver(templates);
    index.setRollout('prod/r', deployments('api'));
    index.setRollout('prod/r', deployments('web'));
    expect(index.rolloutsOfDeployment('prod', 'api')).toEqual([]);
    expect(index.rolloutsOfDeployment('prod', 'web')).toEqual(['prod/r']);
    expect(events).toEqual(['+ConfigMap/prod/a', '-ConfigMap/prod/a', '+ConfigMap/prod/b']);
  });
});
