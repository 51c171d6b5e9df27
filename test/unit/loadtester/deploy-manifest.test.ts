import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { registerLoadtester } from '../../../src/loadtester/command.js';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  // biome-ignore lint/suspicious/noExplicitAny: a manifest is free-form YAML
  spec: any;
}

const manifests = parseAllDocuments(
  readFileSync(new URL('../../../deploy/loadtester.yaml', import.meta.url), 'utf8'),
).map((document) => document.toJS() as Manifest);

function find(kind: string): Manifest {
  const manifest = manifests.find((entry) => entry.kind === kind);
  if (!manifest) throw new Error(`deploy/loadtester.yaml has no ${kind}`);
  return manifest;
}

describe('deploy/loadtester.yaml', () => {
  const deployment = find('Deployment');
  const container = deployment.spec.template.spec.containers[0];

  it('runs arguments that `fledge loadtester` accepts, on the port the pod declares', async () => {
    const program = new Command('fledge').exitOverride();
    registerLoadtester(program);
    let flags: Record<string, unknown> = {};
    program.commands[0]?.action((parsed: Record<string, unknown>) => {
      flags = parsed;
    });
    await program.parseAsync(container.args, { from: 'user' });
    expect(flags.port).toBe(container.ports[0].containerPort);
    expect(container.image).toBe('ghcr.io/fledge-dev/fledge:0.1.0');
  });

  it('probes /healthz and exposes the webhook URL http://fledge-loadtester.fledge-system/', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const service = find('Service');
    expect(service.metadata).toMatchObject({
      name: 'fledge-loadtester',
      namespace: 'fledge-system',
    });
    expect(service.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
  });

  it('runs as non-root, without privileges or an API token, with resource requests', () => {
    const pod = deployment.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toEqual({ cpu: '100m', memory: '64Mi' });
  });
});
