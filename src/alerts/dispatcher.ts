import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { AlertProvider } from '../api/alertprovider.generated.js';
import type { ConditionUpdate } from '../api/conditions.js';
import { GROUP, type Rollout, VERSION } from '../api/types.js';
import type { Decision } from '../controller/decisions.js';
import type { ApiServer } from '../kube/api-server.js';
import { ReferenceReader } from '../kube/referenced.js';
import type { ResourceType } from '../kube/resources.js';
import { type AlertMessage, type AlertNotice, alertMessage } from './message.js';
import { renderers, sendsToken } from './providers/index.js';
import { sendAlert } from './send.js';
import { hears, severityOf } from './severity.js';
import { type AlertTarget, alertTarget, type TargetResolution } from './target.js';

const alertProviders: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: 'alertproviders',
  kind: 'AlertProvider',
  namespaced: true,
};

/** The condition on a Rollout with alerts: can every provider it names be used? */
export const CONDITION_ALERTING = 'Alerting';

/** Alerts on the wire at once; more are dropped (and counted), never queued without end. */
const MAX_IN_FLIGHT = 64;
/** Alerts of one Rollout waiting for the ones before them. */
const MAX_QUEUED = 32;

export interface AlertDispatcherOptions {
  api: ApiServer;
  log: Logger;
  registry: Registry;
  /** An Event on the Rollout: an alert that could not be sent, and why. */
  recordEvent(rollout: Rollout, decision: Decision): void;
  send?: typeof sendAlert;
  now?: () => Date;
}

type Resolved = {
  name: string;
  severity: NonNullable<Rollout['spec']['analysis']['alerts']>[number]['severity'];
  resolution: TargetResolution;
};

/**
 * Sends a Rollout's decisions to the AlertProviders its `analysis.alerts` name, filtered by
 * severity as Flagger does. Providers and Secrets are read through the API server and kept
 * briefly in a bounded cache. Nothing here throws into the controller: a provider that
 * cannot be used becomes the `Alerting` condition and an Event, a failed delivery an Event.
 */
export class AlertDispatcher {
  private readonly providers: ReferenceReader<AlertProvider & { metadata?: object }>;
  private readonly sent: Counter<'type' | 'result'>;
  private inFlight = 0;
  /** Each Rollout's alerts, one after the other, so they arrive in the order decided. */
  private readonly queues = new Map<string, { tail: Promise<unknown>; length: number }>();

  constructor(private readonly options: AlertDispatcherOptions) {
    this.providers = new ReferenceReader({
      api: options.api,
      type: alertProviders,
      secretName: (provider) => provider.spec?.secretRef?.name,
    });
    this.sent = new Counter({
      name: 'fledge_alerts_total',
      help: 'Alerts by provider type and result (sent, failed, dropped when too many were on the wire).',
      labelNames: ['type', 'result'],
      registers: [options.registry],
    });
  }

  /**
   * Sends a decision to the Rollout's alerts, after its earlier ones; resolves with the
   * `Alerting` condition (undefined without alerts). Never rejects.
   */
  alert(rollout: Rollout, notice: AlertNotice): Promise<ConditionUpdate | undefined> {
    if ((rollout.spec.analysis.alerts ?? []).length === 0) return Promise.resolve(undefined);
    const key = `${rollout.metadata.namespace}/${rollout.metadata.name}`;
    const queue = this.queues.get(key) ?? { tail: Promise.resolve(), length: 0 };
    if (queue.length >= MAX_QUEUED) {
      this.options.log.warn(
        { rollout: key, reason: notice.decision.reason },
        `alert dropped: ${MAX_QUEUED} alerts of this rollout are waiting to be sent`,
      );
      this.sent.inc({ type: 'any', result: 'dropped' });
      return Promise.resolve(undefined);
    }
    const next = queue.tail.then(() => this.dispatch(rollout, notice));
    queue.tail = next;
    queue.length += 1;
    this.queues.set(key, queue);
    void next.finally(() => {
      queue.length -= 1;
      if (queue.length === 0 && this.queues.get(key) === queue) this.queues.delete(key);
    });
    return next;
  }

  private async dispatch(
    rollout: Rollout,
    notice: AlertNotice,
  ): Promise<ConditionUpdate | undefined> {
    const alerts = rollout.spec.analysis.alerts ?? [];
    const namespace = rollout.metadata.namespace ?? 'default';
    try {
      const resolved: Resolved[] = await Promise.all(
        alerts.map(async (alert) => ({
          name: alert.name,
          severity: alert.severity,
          resolution: await this.resolve({
            namespace: alert.providerRef.namespace || namespace,
            name: alert.providerRef.name,
          }),
        })),
      );
      const severity = severityOf(notice.decision, notice.phase);
      if (severity) {
        const message = alertMessage(
          rollout,
          notice,
          severity,
          (this.options.now ?? (() => new Date()))(),
        );
        await Promise.all(
          resolved
            .filter((alert) => hears(alert.severity, severity))
            .map((alert) => this.deliver(rollout, alert, message)),
        );
      }
      return alertingCondition(resolved);
    } catch (error) {
      this.options.log.error({ err: error }, 'alerts could not be sent');
      return undefined;
    }
  }

  private async deliver(rollout: Rollout, alert: Resolved, message: AlertMessage): Promise<void> {
    const { resolution } = alert;
    if (!resolution.ok) {
      this.report(
        rollout,
        resolution.problem.reason,
        `alert ${alert.name}: ${resolution.problem.message}`,
      );
      return;
    }
    const { target } = resolution;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.sent.inc({ type: target.type, result: 'dropped' });
      this.options.log.warn(
        { alert: alert.name, provider: target.describe },
        `alert dropped: ${MAX_IN_FLIGHT} alerts are already on the wire`,
      );
      return;
    }
    this.inFlight += 1;
    try {
      const rendered = renderers[target.type](message, target);
      const delivery = await (this.options.send ?? sendAlert)({
        url: rendered.url,
        body: rendered.body,
        ...(target.token && sendsToken.has(target.type) ? { token: target.token } : {}),
        ...(target.proxy ? { proxy: target.proxy } : {}),
      });
      this.sent.inc({ type: target.type, result: delivery.ok ? 'sent' : 'failed' });
      const logged = { alert: alert.name, provider: target.describe, reason: message.reason };
      if (delivery.ok) {
        this.options.log.debug(logged, `alert sent: ${delivery.message}`);
        return;
      }
      this.options.log.warn(logged, `alert not delivered: ${delivery.message}`);
      this.report(
        rollout,
        'AlertFailed',
        `alert ${alert.name} to ${target.describe} was not delivered: ${delivery.message}; ${fixFor(target, delivery.status)}`,
      );
    } finally {
      this.inFlight -= 1;
    }
  }

  private report(rollout: Rollout, reason: string, message: string): void {
    this.options.recordEvent(rollout, { type: 'Warning', reason, message });
  }

  /** The provider and its Secret, as the reader's brief cache has them. */
  private resolve(ref: { namespace: string; name: string }): Promise<TargetResolution> {
    return this.providers.read(ref).then(
      ({ object, secret }) => alertTarget(ref, object, secret),
      (error: unknown) => unreadable(ref, error),
    );
  }
}

function unreadable(ref: { namespace: string; name: string }, error: unknown): TargetResolution {
  return {
    ok: false,
    problem: {
      reason: 'AlertProviderUnreadable',
      message: `AlertProvider ${ref.namespace}/${ref.name} or its Secret could not be read (${(error as Error).message}); check that the controller may get alertproviders and secrets there`,
    },
  };
}

function fixFor(target: AlertTarget, status: number | undefined): string {
  if (status === 401 || status === 403)
    return 'check the token or the webhook URL the service issued';
  if (status === 404 || status === 410)
    return 'the webhook URL is unknown to the service: check it, it may have been revoked';
  if (status !== undefined && status >= 400 && status < 500) {
    return `the service refused the ${target.type} message: check the provider's type and address`;
  }
  return target.proxy
    ? 'check the service and the proxy'
    : 'check that the service is reachable from the controller';
}

/** True when every alert's provider can be used; otherwise the problems, each naming its fix. */
export function alertingCondition(resolved: readonly Resolved[]): ConditionUpdate {
  const problems = resolved.flatMap((alert) =>
    alert.resolution.ok ? [] : [{ alert: alert.name, ...alert.resolution.problem }],
  );
  const first = problems[0];
  if (first) {
    return {
      type: CONDITION_ALERTING,
      status: 'False',
      reason: first.reason,
      message: problems.map((problem) => `alert ${problem.alert}: ${problem.message}`).join('; '),
    };
  }
  const targets = resolved.flatMap((alert) =>
    alert.resolution.ok ? [alert.resolution.target.describe] : [],
  );
  return {
    type: CONDITION_ALERTING,
    status: 'True',
    reason: 'ProvidersReady',
    message: `alerts go to ${[...new Set(targets)].join(', ')}`,
  };
}
