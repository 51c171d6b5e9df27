import type { V1Deployment } from '@kubernetes/client-node';
import { type WaitOptions, waitFor } from '../../support/wait.js';
import { type Clients, clients } from './cluster.js';
import { kubectl, kubectlApply } from './kubectl.js';

type Step = (context: ScenarioContext) => Promise<void>;

export interface ScenarioContext {
  namespace: string;
  clients: Clients;
  kubectl(args: string[], input?: string): Promise<string>;
}

/**
 * End-to-end scenarios written as Given / When / Then, after Argo Rollouts' test fixtures:
 *
 *   await given('web-demo').manifests(deployment)
 *     .when().applied().kubectl('scale', 'deployment/web', '--replicas=3')
 *     .then().deploymentAvailable('web', 3);
 *
 * Each call queues a step in the scenario's namespace; awaiting the chain creates the
 * namespace and runs the steps in order, and the first failing step fails the test.
 */
export function given(namespace: string): Given {
  return new Scenario(namespace);
}

/** `then()` without arguments enters the Then phase; `await` runs the scenario. */
interface Awaitable<Phase> {
  then(): Phase;
  then<R1 = void, R2 = never>(
    onFulfilled?: ((value: undefined) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2>;
}

export interface Given extends Awaitable<Then> {
  manifests(yaml: string): Given;
  when(): When;
}

export interface When extends Awaitable<Then> {
  /** Applies the manifests given so far with `kubectl apply -f -`. */
  applied(): When;
  apply(yaml: string): When;
  kubectl(...args: string[]): When;
  do(what: (context: ScenarioContext) => Promise<void>): When;
}

export interface Then extends Awaitable<Then> {
  deploymentAvailable(name: string, replicas?: number, options?: WaitOptions): Then;
  /** Waits until `probe` returns a value, then hands it to `check`. */
  eventually<T>(
    what: string,
    probe: (context: ScenarioContext) => Promise<T | undefined>,
    check?: (value: T) => void,
    options?: WaitOptions,
  ): Then;
  expect(check: (context: ScenarioContext) => Promise<void>): Then;
  when(): When;
}

class Scenario {
  private readonly steps: Step[] = [];
  private readonly given: string[] = [];

  constructor(private readonly namespace: string) {}

  manifests(yaml: string): this {
    this.given.push(yaml);
    return this;
  }

  when(): this {
    return this;
  }

  applied(): this {
    const manifests = [...this.given];
    return this.step(async (c) => {
      for (const manifest of manifests) await c.kubectl(['apply', '-f', '-'], manifest);
    });
  }

  apply(yaml: string): this {
    return this.step((c) => c.kubectl(['apply', '-f', '-'], yaml).then(() => {}));
  }

  kubectl(...args: string[]): this {
    return this.step((c) => c.kubectl(args).then(() => {}));
  }

  do(what: (context: ScenarioContext) => Promise<void>): this {
    return this.step(what);
  }

  deploymentAvailable(name: string, replicas?: number, options?: WaitOptions): this {
    return this.eventually(
      `deployment ${this.namespace}/${name} to be Available${replicas === undefined ? '' : ` with ${replicas} ready replicas`}`,
      async (c) => {
        const deployment = await c.clients.apps.readNamespacedDeployment({
          name,
          namespace: c.namespace,
        });
        return isAvailable(deployment, replicas) ? deployment : undefined;
      },
      undefined,
      options,
    );
  }

  eventually<T>(
    what: string,
    probe: (context: ScenarioContext) => Promise<T | undefined>,
    check?: (value: T) => void,
    options?: WaitOptions,
  ): this {
    return this.step(async (c) => {
      const value = await waitFor(what, () => probe(c), options);
      check?.(value);
    });
  }

  expect(check: (context: ScenarioContext) => Promise<void>): this {
    return this.step(check);
  }

  // A Scenario is awaited like a promise: that is what runs its queued steps.
  // biome-ignore lint/suspicious/noThenProperty: the chain must be awaitable and also offer `.then()` as the "Then" phase
  then<R1 = void, R2 = never>(
    onFulfilled?: ((value: undefined) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): never {
    if (onFulfilled === undefined && onRejected === undefined) return this as never;
    return this.run()
      .then(() => undefined)
      .then(onFulfilled, onRejected) as never;
  }

  private step(step: Step): this {
    this.steps.push(step);
    return this;
  }

  private async run(): Promise<void> {
    const context: ScenarioContext = {
      namespace: this.namespace,
      clients: clients(),
      kubectl: (args, input) => kubectl(['-n', this.namespace, ...args], { input }),
    };
    await kubectlApply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${this.namespace}\n`);
    for (const step of this.steps) await step(context);
  }
}

/** Available as the Deployment controller reports it, for the current generation. */
export function isAvailable(deployment: V1Deployment, replicas?: number): boolean {
  const status = deployment.status;
  const wanted = replicas ?? deployment.spec?.replicas ?? 1;
  return (
    (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
    status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true &&
    status.updatedReplicas === wanted &&
    status.readyReplicas === wanted &&
    (status.replicas ?? 0) === wanted
  );
}
