import { dropUnmapped } from './fields.js';
import type { ConversionReport, FlaggerAutoscalerRef } from './flagger-types.js';

/** The HPA versions a Rollout's autoscalerRef names; fledge falls back to the other one. */
const HPA_VERSIONS = new Set(['autoscaling/v2', 'autoscaling/v2beta2']);
const MAPPED = new Set([
  'apiVersion',
  'kind',
  'name',
  'primaryScalerReplicas',
  'primaryScalerQueries',
]);

/**
 * Flagger's `spec.autoscalerRef` as a Rollout's: the same HorizontalPodAutoscaler, copied for
 * the primary as `<name>-primary` with `primaryScalerReplicas` as its bounds, as Flagger does.
 * A KEDA ScaledObject is refused: fledge copies HPAs only, and left on the target it would
 * scale the target back up while fledge holds it at 0. Undefined when there is nothing to
 * write (no autoscalerRef, or a problem reported).
 */
export function convertAutoscalerRef(
  ref: FlaggerAutoscalerRef | undefined,
  targetName: string | undefined,
  report: ConversionReport,
): Record<string, unknown> | undefined {
  if (!ref) return undefined;
  const path = 'spec.autoscalerRef';
  const kind = ref.kind ?? 'HorizontalPodAutoscaler';
  if (kind !== 'HorizontalPodAutoscaler') {
    report.problems.push({
      path: `${path}.kind`,
      message: `is ${kind}: fledge copies HorizontalPodAutoscalers only (no KEDA ScaledObject); point autoscalerRef at an HPA of the target, or remove it and scale ${targetName ?? '<target>'}-primary with an autoscaler of your own`,
    });
    return undefined;
  }
  if (ref.name === undefined) {
    report.problems.push({
      path: `${path}.name`,
      message: "is missing: name the target's HorizontalPodAutoscaler",
    });
    return undefined;
  }
  dropUnmapped(ref, MAPPED, path, report.notes);
  let apiVersion = ref.apiVersion ?? 'autoscaling/v2';
  if (!HPA_VERSIONS.has(apiVersion)) {
    report.notes.push({
      path: `${path}.apiVersion`,
      kind: 'changed',
      message: `${apiVersion} became autoscaling/v2: fledge reads every HPA through autoscaling/v2, or autoscaling/v2beta2 where the cluster serves only that`,
    });
    apiVersion = 'autoscaling/v2';
  }
  if (ref.primaryScalerQueries !== undefined) {
    report.notes.push({
      path: `${path}.primaryScalerQueries`,
      kind: 'dropped',
      message: 'queries of KEDA triggers have no meaning for a HorizontalPodAutoscaler',
    });
  }
  const bounds = ref.primaryScalerReplicas;
  const primaryScalerReplicas = {
    ...(bounds?.minReplicas !== undefined ? { minReplicas: bounds.minReplicas } : {}),
    ...(bounds?.maxReplicas !== undefined ? { maxReplicas: bounds.maxReplicas } : {}),
  };
  return {
    apiVersion,
    kind,
    name: ref.name,
    ...(Object.keys(primaryScalerReplicas).length > 0 ? { primaryScalerReplicas } : {}),
  };
}
