import { formatDuration, parseGoDuration } from '../api/duration.js';
import type { ConversionNote } from './flagger-types.js';

/** Why a Canary field has no counterpart, where there is more to say than "none". */
const NO_COUNTERPART: Record<string, string> = {
  'spec.ingressRef': 'fledge routes inside the Linkerd mesh only',
  'spec.upstreamRef': 'fledge routes inside the Linkerd mesh only',
  'spec.routerRef': 'fledge routes inside the Linkerd mesh only',
  'spec.metricsServer': 'fledge reads the Prometheus given to the controller (--prometheus-url)',
  'spec.service.unmanagedMetadata':
    'not needed: fledge removes from its Services only the labels and annotations it wrote itself, so keys others write stay',
  'spec.service.trafficPolicy': 'Istio DestinationRule settings have no meaning in Linkerd',
  'spec.service.gatewayRefs':
    "fledge attaches its HTTPRoute to the apex Service (Linkerd's GAMMA mode)",
};

/**
 * What fledge does where Flagger's revertOnDeletion says what to do when the Canary goes: fledge
 * has one behaviour, whatever the field says, and it is not quite either of Flagger's.
 */
export function deletionNote(revertOnDeletion: boolean | undefined): ConversionNote | undefined {
  if (revertOnDeletion === undefined) return undefined;
  const fledge =
    'fledge always, when a Rollout is deleted, first sends all traffic to <target>-primary (or, when no primary serves, scales the target up and sends it there), then keeps that Deployment and the apex Service, unowned, and scales the target to 0';
  return {
    path: 'spec.revertOnDeletion',
    kind: 'changed',
    message: revertOnDeletion
      ? `nothing to set: ${fledge}; Flagger's true instead scales the target back up and routes to it`
      : `fledge reverts anyway: ${fledge}, so that no caller is left on a canary nobody drives; Flagger's false leaves the routing as it is`,
  };
}

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
