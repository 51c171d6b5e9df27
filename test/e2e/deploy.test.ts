import { describe, expect, it } from 'vitest';
import { kubectl } from './support/kubectl.js';

describe('deploy/', () => {
  it('is accepted by a real API server as `kubectl apply -k deploy/` sends it', async () => {
    const rendered = await kubectl(['kustomize', 'deploy/']);
    // deploy/ writes PodDisruptionBudgets as policy/v1 (Kubernetes 1.21+, the only version
    // from 1.25). The playground's 1.20 serves the same spec as policy/v1beta1 only.
    const served = await kubectl(['api-versions']);
    const manifest = /^policy\/v1$/m.test(served)
      ? rendered
      : rendered.replace(/^apiVersion: policy\/v1$/gm, 'apiVersion: policy/v1beta1');
    const out = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: manifest });
    for (const object of [
      'namespace/fledge-system',
      'customresourcedefinition.apiextensions.k8s.io/rollouts.fledge.dev',
      'serviceaccount/fledge-controller',
      'clusterrole.rbac.authorization.k8s.io/fledge-controller',
      'clusterrolebinding.rbac.authorization.k8s.io/fledge-controller',
      'role.rbac.authorization.k8s.io/fledge-controller-leader',
      'clusterrole.rbac.authorization.k8s.io/fledge-dashboard',
      'networkpolicy.networking.k8s.io/fledge-loadtester',
      'deployment.apps/fledge-controller',
      'poddisruptionbudget.policy/fledge-controller',
      'deployment.apps/fledge-loadtester',
      'service/fledge-loadtester',
    ]) {
      expect(out).toContain(object);
    }
  });

  it("grants the controller's ServiceAccount what it needs and no write to Secrets", async () => {
    // Only the RBAC: the playground runs its own loadtester Service in fledge-system.
    await kubectl(['apply', '-f', 'deploy/namespace.yaml', '-f', 'deploy/rbac.yaml']);
    const can = async (verb: string, resource: string, namespace = 'production') =>
      (
        await kubectl([
          'auth',
          'can-i',
          verb,
          resource,
          '-n',
          namespace,
          '--as',
          'system:serviceaccount:fledge-system:fledge-controller',
        ]).catch((error: { stderr?: string }) => error.stderr ?? 'no')
      ).trim();
    expect(await can('patch', 'rollouts.fledge.dev/status')).toBe('yes');
    expect(await can('create', 'deployments.apps')).toBe('yes');
    expect(await can('create', 'controllerrevisions.apps')).toBe('yes');
    expect(await can('delete', 'controllerrevisions.apps')).toBe('yes');
    expect(await can('deletecollection', 'controllerrevisions.apps')).not.toBe('yes');
    expect(await can('update', 'controllerrevisions.apps')).not.toBe('yes');
    expect(await can('create', 'trafficsplits.split.smi-spec.io')).toBe('yes');
    expect(await can('create', 'subjectaccessreviews.authorization.k8s.io')).toBe('yes');
    expect(await can('create', 'httproutes.policy.linkerd.io')).toBe('yes');
    expect(await can('watch', 'secrets')).toBe('yes');
    expect(await can('update', 'leases.coordination.k8s.io', 'fledge-system')).toBe('yes');
    expect(await can('list', 'endpointslices.discovery.k8s.io')).toBe('yes');
    expect(await can('watch', 'endpointslices.discovery.k8s.io')).not.toBe('yes');
    expect(await can('update', 'secrets')).not.toBe('yes');
    expect(await can('delete', 'deployments.apps')).not.toBe('yes');
    expect(await can('update', 'leases.coordination.k8s.io', 'production')).not.toBe('yes');
  });
});
