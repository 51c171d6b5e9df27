/**
 * A Canary's spec.service as the Rollout's: the apex name, ports (portName, a numbered or
 * named targetPort, portDiscovery) and the labels and annotations of the three Services.
 */
import { dropUnmapped } from './fields.js';
import type { ConversionReport, FlaggerCanary, FlaggerServiceMetadata } from './flagger-types.js';

type FlaggerService = NonNullable<NonNullable<FlaggerCanary['spec']>['service']>;

const MAPPED_SERVICE = new Set([
  'name',
  'port',
  'targetPort',
  'portName',
  'portDiscovery',
  'gatewayRefs',
  'apex',
  'primary',
  'canary',
]);
const MAPPED_METADATA = new Set(['labels', 'annotations']);
const ROLES = ['apex', 'primary', 'canary'] as const;

/** One Service's labels or annotations; empty values left out, as the API server refuses them. */
function keptValues(
  values: Record<string, string> | undefined,
  path: string,
  report: ConversionReport,
): Record<string, string> | undefined {
  const entries = Object.entries(values ?? {});
  const empty = entries.filter(([, value]) => value === '').map(([key]) => key);
  if (empty.length > 0) {
    report.notes.push({
      path,
      kind: 'dropped',
      message: `${empty.join(', ')}: an empty value, which a Kubernetes 1.20 API server refuses in a Rollout; give ${empty.length > 1 ? 'them' : 'it'} a value`,
    });
  }
  const kept = entries.filter(([, value]) => value !== '');
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

function serviceMetadata(
  metadata: FlaggerServiceMetadata | undefined,
  path: string,
  report: ConversionReport,
): Record<string, Record<string, string>> | undefined {
  if (metadata === undefined) return undefined;
  dropUnmapped(metadata, MAPPED_METADATA, path, report.notes);
  const labels = keptValues(metadata.labels, `${path}.labels`, report);
  const annotations = keptValues(metadata.annotations, `${path}.annotations`, report);
  if (!labels && !annotations) return undefined;
  return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
}

/**
 * The Rollout's spec.service. Flagger names the Services after the target, fledge after the
 * Rollout: the apex name is written explicitly (`apex`) to keep Flagger's.
 */
export function convertService(
  service: FlaggerService,
  apex: string | undefined,
  report: ConversionReport,
): Record<string, unknown> {
  dropUnmapped(service, MAPPED_SERVICE, 'spec.service', report.notes);
  const metadata = Object.fromEntries(
    ROLES.flatMap((role) => {
      const converted = serviceMetadata(service[role], `spec.service.${role}`, report);
      return converted ? [[role, converted]] : [];
    }),
  );
  return {
    name: apex,
    port: service.port,
    targetPort: service.targetPort ?? service.port,
    ...(service.portName !== undefined ? { portName: service.portName } : {}),
    ...(service.portDiscovery ? { portDiscovery: true } : {}),
    ...metadata,
  };
}
