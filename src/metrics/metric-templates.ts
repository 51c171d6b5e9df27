import { createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { MetricTemplate } from '../api/metrictemplate.generated.js';
import { GROUP, type MetricSpec, VERSION } from '../api/types.js';
import type { ApiServer } from '../kube/api-server.js';
import { ReferenceReader } from '../kube/referenced.js';
import type { ResourceType } from '../kube/resources.js';
import { proxyFor } from '../webhooks/call.js';
import type { AnalysisMetric } from './analysis.js';
import { createPrometheusProvider, type MetricsProvider } from './prometheus.js';
import { coalesceQueries } from './query-coalescer.js';
import { sanitiseForeign } from './query-result.js';
import {
  type ProviderSettings,
  type TemplateProblem,
  type TemplateSource,
  templateSource,
} from './template-source.js';
import { missingVariables } from './templates.js';

export const metricTemplates: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: 'metrictemplates',
  kind: 'MetricTemplate',
  namespaced: true,
};

/** Providers kept at once; past it the least recently used lets go of its connections. */
const PROVIDER_CAPACITY = 64;

export interface MetricTemplatesOptions {
  api: ApiServer;
  registry: Registry;
  /** The controller's Prometheus, for templates with settings but no address of their own. */
  prometheusUrl: string;
  /** The HTTP proxy to reach a template's own address through (the playground's mesh). */
  proxy?: string;
}

/** A Rollout's metrics with every templateRef read, and what could not be read. */
export interface ResolvedMetrics {
  metrics: AnalysisMetric[];
  problems: { metric: string; problem: TemplateProblem }[];
  /** Whether any metric names a MetricTemplate at all. */
  usesTemplates: boolean;
}

/** Why a metric cannot fill its template's {{ variables.NAME }}, naming the field to fix. */
function variablesProblem(
  query: string,
  metric: MetricSpec,
  index: number,
  ref: { namespace: string; name: string },
): TemplateProblem | undefined {
  const lacking = missingVariables(query, metric.templateVariables ?? {});
  if (lacking.length === 0) return undefined;
  return {
    reason: 'MetricVariablesMissing',
    message: `MetricTemplate ${ref.namespace}/${ref.name} spec.query uses ${lacking.map((v) => `{{ variables.${v} }}`).join(', ')}, which spec.analysis.metrics[${index}].templateVariables does not give: add ${lacking.join(', ')} there`,
  };
}

/**
 * The MetricTemplates that Rollouts' metrics name, read through the API server with their
 * Secrets (briefly cached), and one Prometheus provider per distinct address, headers,
 * credentials and TLS settings, kept for reuse within a bound.
 */
export class MetricTemplates {
  private readonly templates: ReferenceReader<MetricTemplate>;
  /** By a digest of their settings, least recently used first. */
  private readonly providers = new Map<string, MetricsProvider>();

  constructor(private readonly options: MetricTemplatesOptions) {
    this.templates = new ReferenceReader<MetricTemplate>({
      api: options.api,
      type: metricTemplates,
      secretName: (template) => template.spec?.provider?.secretRef?.name,
    });
  }

  /** Never rejects: a template that cannot be used makes its metric unavailable, with the reason. */
  async resolve(
    metrics: readonly MetricSpec[],
    rollout: { name: string; namespace: string },
  ): Promise<ResolvedMetrics> {
    const resolved = await Promise.all(
      metrics.map(
        async (metric, index): Promise<{ metric: AnalysisMetric; problem?: TemplateProblem }> => {
          if (!metric.templateRef) return { metric };
          const ref = {
            namespace: metric.templateRef.namespace || rollout.namespace,
            name: metric.templateRef.name,
          };
          const source = await this.read(ref);
          const { templateRef: _ref, templateVariables, ...rest } = metric;
          const lacking = source.ok
            ? variablesProblem(source.query, metric, index, ref)
            : undefined;
          if (lacking) {
            return {
              metric: { ...rest, unavailable: `metric ${metric.name}: ${lacking.message}` },
              problem: lacking,
            };
          }
          if (!source.ok) {
            return {
              metric: { ...rest, unavailable: `metric ${metric.name}: ${source.problem.message}` },
              problem: source.problem,
            };
          }
          return {
            metric: {
              ...rest,
              query: source.query,
              shared: { rollout: rollout.name, variables: templateVariables ?? {} },
              ...this.providerFor(source.provider),
            },
          };
        },
      ),
    );
    // In the metrics' order, whichever template was read first.
    const problems = resolved.flatMap(({ metric, problem }) =>
      problem ? [{ metric: metric.name, problem }] : [],
    );
    return {
      metrics: resolved.map(({ metric }) => metric),
      problems,
      usesTemplates: metrics.some((metric) => metric.templateRef !== undefined),
    };
  }

  async close(): Promise<void> {
    const providers = [...this.providers.values()];
    this.providers.clear();
    await Promise.all(providers.map((provider) => provider.close?.()));
  }

  private read(ref: { namespace: string; name: string }): Promise<TemplateSource> {
    return this.templates.read(ref).then(
      ({ object, secret }) => templateSource(ref, object, secret),
      (error: unknown): TemplateSource => ({
        ok: false,
        problem: {
          reason: 'MetricTemplateUnreadable',
          message: `MetricTemplate ${ref.namespace}/${ref.name} or its Secret could not be read (${sanitiseForeign((error as Error).message, 120)}); check that the controller may get metrictemplates and secrets there`,
        },
      }),
    );
  }

  /**
   * A template's own address is a cluster name: reached as the controller reaches webhooks,
   * through the mesh proxy when it has one (never for a loopback address).
   */
  private proxyFor(address: string | undefined): { proxy?: string } {
    if (address === undefined) return {};
    const url = URL.parse(address);
    try {
      const proxy = url ? proxyFor(url, this.options.proxy ?? '') : undefined;
      return proxy ? { proxy: proxy.href } : {};
    } catch {
      // A malformed proxy setting is the controller's, and every webhook call reports it.
      return {};
    }
  }

  /** The template's own provider; none when it names no settings (the analysis's then). */
  private providerFor(settings: ProviderSettings): { provider?: MetricsProvider } {
    const { prometheusUrl, registry } = this.options;
    const plain =
      settings.address === undefined &&
      Object.keys(settings.headers).length === 0 &&
      !settings.bearerToken &&
      !settings.basicAuth &&
      Object.keys(settings.tls).length === 0;
    if (plain) return {};
    const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
    const existing = this.providers.get(key);
    if (existing) {
      this.providers.delete(key);
      this.providers.set(key, existing);
      return { provider: existing };
    }
    // One provider per address and credentials: the rollouts using it group their queries.
    const provider = coalesceQueries(
      createPrometheusProvider({
        address: settings.address ?? prometheusUrl,
        headers: settings.headers,
        ...(settings.bearerToken ? { bearerToken: settings.bearerToken } : {}),
        ...(settings.basicAuth ? { basicAuth: settings.basicAuth } : {}),
        tls: settings.tls,
        ...this.proxyFor(settings.address),
        ...(settings.configuredBy ? { configuredBy: settings.configuredBy } : {}),
        registry,
      }),
    );
    this.providers.set(key, provider);
    for (const [oldest, evicted] of this.providers) {
      if (this.providers.size <= PROVIDER_CAPACITY) break;
      this.providers.delete(oldest);
      void evicted.close?.();
    }
    return { provider };
  }
}
