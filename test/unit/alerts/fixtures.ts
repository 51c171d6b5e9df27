import type { AlertMessage, AlertNotice } from '../../../src/alerts/message.js';
import type { Rollout } from '../../../src/api/types.js';

export const rollout = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    analysis: { threshold: 5 },
  },
} as unknown as Rollout;

export const rollback: AlertNotice = {
  decision: {
    type: 'Warning',
    reason: 'ThresholdReached',
    message:
      'rolled back revision 7f9c: failed checks reached the threshold; last: request-success-rate: 91.2 out of range (min 99) <@here> & more',
  },
  phase: 'Failed',
  revision: '7f9c',
  progress: { canaryWeight: 0, iterations: 6, failedChecks: 5 },
};

/** The message of `rollback`, as alertMessage makes it. */
export const message: AlertMessage = {
  name: 'podinfo',
  namespace: 'test',
  severity: 'error',
  type: 'Warning',
  reason: 'ThresholdReached',
  text: rollback.decision.message,
  phase: 'Failed',
  revision: '7f9c',
  canaryWeight: 0,
  failedChecks: 5,
  iterations: 6,
  target: 'Deployment/podinfo',
  fields: [
    { name: 'Target', value: 'Deployment/podinfo' },
    { name: 'Phase', value: 'Failed' },
    { name: 'Canary weight', value: '0%' },
    { name: 'Failed checks', value: '5 of 5' },
    { name: 'Iterations', value: '6' },
    { name: 'Revision', value: '7f9c' },
  ],
  timestamp: '2025-01-02T03:04:05.000Z',
};

export const settings = {
  address: 'https://hooks.slack.com/services/T0/B0/secret',
  channel: 'releases',
  username: 'fledge',
};
