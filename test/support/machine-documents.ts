import type { MachineDocument } from '../../machines/persistence.js';

/** A stored machine document of a canary progressing at weight 10, with `changes`. */
export const machineDocument = (changes: Partial<MachineDocument> = {}): MachineDocument => ({
  version: 1,
  state: 'Progressing',
  phase: 'Progressing',
  revision: 'r2',
  lastPromotedRevision: 'r1',
  canaryWeight: 10,
  failedChecks: 0,
  iterations: 1,
  nextAnalysisAt: null,
  progressDeadlineAt: null,
  nextPromotionStepAt: null,
  message: '',
  reason: null,
  lastAnalysis: null,
  resumeTo: null,
  queuedAt: null,
  slotGrantedAt: null,
  ...changes,
});
