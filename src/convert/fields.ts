import { formatDuration, parseGoDuration } from '../api/duration.js';
import type { ConversionNote } from './flagger-types.js';

/** Why a Canary field has no counterpart, where there is more to say than "none". */
const NO_COUNTERPART: Record<string, string> = {
  'spec.ingressRef': 'fledge routes inside the Linkerd mesh only',
  'spec.upstreamRef': 'fledge routes inside the Linkerd mesh only',
  'spec.routerRef': 'fledge routes inside the Linkerd mesh only',
  'spec.metricsServer': 'fledge reads the Prometheus given to the controller (--prometheus-url)',
  'spec.revertOnDeletion':
    'fledge always returns traffic to a serving Deployment when a Rollout is deleted',
  'spec.service.portName': 'fledge names the ports of the Services it writes',
  'spec.service.portDiscovery': 'fledge exposes service.port only',
  'spec.service.trafficPolicy': 'Istio DestinationRule settings have no meaning in Linkerd',
  'spec.service.gatewayRefs':
    "fledge attaches its HTTPRoute to the apex Service (Linkerd's GAMMA mode)",
  'spec.analysis.stepWeightPromotion': 'fledge promotes in one step once the primary is ready',
};

/** Notes every field of `object` that conversion does not read, with the reason where one is known. */
export function dropUnmapped(
  object: Record<string, unknown> | undefined,
  mapped: Set<string>,
  path: string,
  notes: ConversionNote[],
): void {
  for (const [field, value] of Object.entries(object ?? {})) {
    if (mapped.has(field) || value === undefined || value === null || value === false) continue;
    const at = `${path}.${field}`;
    notes.push({
      path: at,
      kind: 'dropped',
      message: NO_COUNTERPART[at] ?? 'no counterpart in fledge',
    });
  }
}

/**
 * A Go duration (Flagger's) as a fledge duration, or undefined when it is not one; a duration
 * too long to count in whole milliseconds is not one either.
 */
export function duration(text: unknown): string | undefined {
  const ms = typeof text === 'string' ? parseGoDuration(text) : undefined;
  if (ms === undefined || !Number.isSafeInteger(Math.round(ms)) || Math.round(ms) < 1)
    return undefined;
  return formatDuration(Math.round(ms));
}
