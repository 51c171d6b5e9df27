import type { Render } from '../message.js';

/**
 * fledge's own JSON, for any receiver (docs/alerts.md): flat, with the Rollout's name and
 * namespace as Flagger's webhook payload names them, and the decision's severity and reason.
 */
export const renderGeneric: Render = (message, settings) => ({
  url: settings.address,
  body: {
    source: 'fledge',
    name: message.name,
    namespace: message.namespace,
    severity: message.severity,
    type: message.type,
    reason: message.reason,
    message: message.text,
    phase: message.phase,
    revision: message.revision,
    canaryWeight: message.canaryWeight,
    failedChecks: message.failedChecks,
    iterations: message.iterations,
    target: message.target,
    timestamp: message.timestamp,
  },
});
