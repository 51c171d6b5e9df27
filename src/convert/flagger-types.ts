/**
 * The parts of Flagger's Canary, MetricTemplate and AlertProvider (flagger.app/v1beta1) that
 * fledge reads, loosely typed: the input is a user's file, checked field by field during
 * conversion.
 */
export interface FlaggerRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface FlaggerMetric {
  name?: string;
  interval?: string;
  threshold?: number;
  thresholdRange?: { min?: number; max?: number };
  query?: string;
  templateRef?: FlaggerRef;
  templateVariables?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface FlaggerWebhook {
  name?: string;
  type?: string;
  url?: string;
  timeout?: string;
  retries?: number;
  metadata?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface FlaggerAutoscalerRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  primaryScalerReplicas?: { minReplicas?: number; maxReplicas?: number };
  primaryScalerQueries?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Istio's StringMatch: one of exact, prefix, suffix and regex (RE2, the whole value). */
export interface FlaggerStringMatch {
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
  [field: string]: unknown;
}

export interface FlaggerRequestMatch {
  headers?: Record<string, FlaggerStringMatch>;
  [field: string]: unknown;
}

export interface FlaggerAnalysis {
  interval?: string;
  threshold?: number;
  maxWeight?: number;
  stepWeight?: number;
  stepWeights?: number[];
  stepWeightPromotion?: number;
  iterations?: number;
  primaryReadyThreshold?: number;
  canaryReadyThreshold?: number;
  /** Istio's HTTPMatchRequest: fledge reads its headers. */
  match?: FlaggerRequestMatch[];
  mirror?: boolean;
  mirrorWeight?: number;
  sessionAffinity?: { cookieName?: string; maxAge?: number; [field: string]: unknown };
  metrics?: FlaggerMetric[];
  webhooks?: FlaggerWebhook[];
  alerts?: FlaggerAlert[];
  [field: string]: unknown;
}

export interface FlaggerAlert {
  name?: string;
  severity?: string;
  providerRef?: FlaggerRef;
  [field: string]: unknown;
}

/** Labels and annotations Flagger adds to one of the Services it writes. */
export interface FlaggerServiceMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface FlaggerCanary {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    provider?: string;
    targetRef?: FlaggerRef;
    autoscalerRef?: FlaggerAutoscalerRef;
    service?: {
      name?: string;
      port?: number;
      targetPort?: number | string;
      portName?: string;
      portDiscovery?: boolean;
      gatewayRefs?: FlaggerRef[];
      apex?: FlaggerServiceMetadata;
      primary?: FlaggerServiceMetadata;
      canary?: FlaggerServiceMetadata;
      [field: string]: unknown;
    };
    analysis?: FlaggerAnalysis;
    canaryAnalysis?: FlaggerAnalysis;
    progressDeadlineSeconds?: number;
    skipAnalysis?: boolean;
    suspend?: boolean;
    revertOnDeletion?: boolean;
    [field: string]: unknown;
  };
}

export interface FlaggerAlertProvider {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    type?: string;
    channel?: string;
    username?: string;
    address?: string;
    proxy?: string;
    secretRef?: { name?: string };
    [field: string]: unknown;
  };
}

export interface FlaggerMetricTemplate {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    provider?: {
      type?: string;
      address?: string;
      secretRef?: { name?: string };
      insecureSkipVerify?: boolean;
      headers?: Record<string, string[]>;
      [field: string]: unknown;
    };
    query?: string;
  };
}

/** Something conversion had to leave out or change, at the Canary field it concerns. */
export interface ConversionNote {
  path: string;
  kind: 'dropped' | 'changed';
  message: string;
}

/** Something in the input that stops a Canary from being converted, at its field. */
export interface ConversionProblem {
  /** The Canary field, as in `spec.analysis.metrics[0].interval`, or `file:line`. */
  path: string;
  message: string;
}

/** What conversion reports as it goes: notes for what changed, problems for what stops it. */
export interface ConversionReport {
  notes: ConversionNote[];
  problems: ConversionProblem[];
}
