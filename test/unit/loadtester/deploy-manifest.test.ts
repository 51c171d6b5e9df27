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

function read(file: string): Manifest[] {
  return parseAllDocuments(
    readFileSync(new URL(`../../../deploy/${file}`, import.meta.url), 'utf8'),
  ).map((document) => document.toJS() as Manifest);
}

const manifests = read('loadtester.yaml');

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

describe('deploy/loadtester.yaml: token and memory', () => {
  const container = find('Deployment').spec.template.spec.containers[0];
  const env = (name: string) =>
    container.env.find((entry: { name: string }) => entry.name === name);

  it('reads the shared token from an optional Secret, so that it runs without one too', () => {
    expect(env('FLEDGE_LOADTESTER_TOKEN').valueFrom.secretKeyRef).toEqual({
      name: 'fledge-loadtester-token',
      key: 'token',
      optional: true,
    });
  });

  it("caps the JavaScript heap well under the container's memory limit", () => {
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(env('NODE_OPTIONS').value)?.[1]);
    expect(container.resources.limits.memory).toBe('256Mi');
    expect(heapMiB).toBeGreaterThan(0);
    expect(heapMiB).toBeLessThanOrEqual(256 / 2);
  });
});

describe('deploy/loadtester-networkpolicy.yaml', () => {
  const [policy] = read('loadtester-networkpolicy.yaml');
  const controller = read('controller.yaml').find((entry) => entry.kind === 'Deployment');
  const loadtester = find('Deployment');

  it('is installed by kubectl apply -k deploy/', () => {
    const kustomization = read('kustomization.yaml')[0] as unknown as { resources: string[] };
    expect(kustomization.resources).toContain('loadtester-networkpolicy.yaml');
  });

  it("selects the loadtester's pods and admits the controller's on the http port", () => {
    expect(policy?.kind).toBe('NetworkPolicy');
    expect(policy?.metadata.namespace).toBe(loadtester.metadata.namespace);
    expect(loadtester.spec.template.metadata.labels).toMatchObject(
      policy?.spec.podSelector.matchLabels,
    );
    expect(policy?.spec.policyTypes).toEqual(['Ingress']);
    const [fromController] = policy?.spec.ingress ?? [];
    expect(controller?.spec.template.metadata.labels).toMatchObject(
      fromController.from[0].podSelector.matchLabels,
    );
    expect(fromController.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
  });

  it('keeps the list of namespaces where the kustomize patch in docs/loadtester.md adds to it', () => {
    const listed = policy?.spec.ingress[2].from[0].namespaceSelector.matchExpressions[0];
    expect(listed).toEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'In',
      values: ['fledge-system'],
    });
    const docs = readFileSync(new URL('../../../docs/loadtester.md', import.meta.url), 'utf8');
    expect(docs).toContain(
      'path: /spec/ingress/2/from/0/namespaceSelector/matchExpressions/0/values/-',
    );
  });
});
