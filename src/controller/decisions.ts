import type { MachineDocument } from '../../machines/persistence.js';
import { describeAnalysis } from '../../machines/updates.js';

export interface Decision {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * The Kubernetes Events that tell what the machine decided between two of its documents: a
 * failed check, a phase change, joining or leaving the release queue, a weight change, in that
 * order, so that a failed check comes before the rollback it caused. Pure, so each rule has a unit test.
 */
export function decisionsBetween(
  before: MachineDocument | null,
  after: MachineDocument,
  threshold: number,
): Decision[] {
  const decisions: Decision[] = [];
  const revision = after.revision;
  if (before && after.failedChecks > before.failedChecks) {
    const why = after.lastAnalysis ? describeAnalysis(after.lastAnalysis) : after.message;
    decisions.push({
      type: 'Warning',
      reason: 'FailedCheck',
      message: `failed check ${after.failedChecks} of ${threshold} for revision ${revision}: ${why}`,
    });
  }
  if (before?.phase !== after.phase) {
    decisions.push(phaseDecision(after, revision));
  }
  if (before && before.state !== 'Queued' && after.state === 'Queued') {
    decisions.push({ type: 'Normal', reason: 'Queued', message: after.message });
  }
  if (before?.state === 'Queued' && before.slotGrantedAt === null && after.slotGrantedAt !== null) {
    decisions.push({ type: 'Normal', reason: 'SlotGranted', message: after.message });
  }
  if (before && after.canaryWeight !== before.canaryWeight && after.phase !== 'Failed') {
    decisions.push({
      type: 'Normal',
      reason: 'WeightChanged',
      message: `canary weight ${before.canaryWeight}% -> ${after.canaryWeight}%`,
    });
  }
  return decisions;
}

function phaseDecision(after: MachineDocument, revision: string): Decision {
  switch (after.phase) {
    case 'Failed':
      return {
        type: 'Warning',
        reason: after.reason ?? 'Failed',
        message: `rolled back revision ${revision}: ${after.message}`,
      };
    case 'Succeeded':
      return {
        type: 'Normal',
        reason: 'Succeeded',
        message: `promoted revision ${revision}`,
      };
    case 'Paused':
      return { type: 'Warning', reason: after.reason ?? 'Paused', message: after.message };
    default:
      return { type: 'Normal', reason: after.phase, message: after.message };
  }
}
