import { converterTarget } from './converter.js';
import type { SyncTarget } from './sync-target.js';
import { validatorTarget } from './validator.js';

export const syncTargets: readonly SyncTarget[] = [validatorTarget, converterTarget];
