import { describe, expect, it } from 'vitest';
import { requestKind } from '../../../src/kube/request-kind.js';

describe('requestKind', () => {
  it.each([
    ['GET', '/api/v1/namespaces/prod/configmaps', false, 'list', 'configmaps'],
    ['GET', '/api/v1/namespaces/prod/configmaps', true, 'watch', 'configmaps'],
    ['GET', '/api/v1/secrets', true, 'watch', 'secrets'],
    ['GET', '/api/v1/namespaces/prod/secrets/key', false, 'get', 'secrets'],
    ['GET', '/api/v1/namespaces', false, 'list', 'namespaces'],
    ['GET', '/api/v1/namespaces/prod', false, 'get', 'namespaces'],
    [
      'PATCH',
      '/apis/fledge.dev/v1alpha1/namespaces/prod/rollouts/api/status',
      false,
      'patch',
      'rollouts/status',
    ],
    [
      'PUT',
      '/apis/coordination.k8s.io/v1/namespaces/fledge/leases/fledge',
      false,
      'update',
      'leases',
    ],
    ['POST', '/apis/apps/v1/namespaces/prod/deployments', false, 'create', 'deployments'],
    ['DELETE', '/apis/apps/v1/namespaces/prod/deployments/api', false, 'delete', 'deployments'],
    ['GET', '/version', false, 'get', 'other'],
  ])('%s %s (watch: %s) is %s %s', (method, path, watch, verb, resource) => {
    expect(requestKind(method, path, watch)).toEqual({ verb, resource });
  });
});
