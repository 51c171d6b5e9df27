import type { Command } from 'commander';
import { registerActions } from './action-command.js';
import { registerConvert } from './convert-command.js';
import { registerDashboard } from './dashboard-command.js';
import { registerJudge } from './judge-command.js';
import { registerStatus } from './status-command.js';
import { registerWait } from './wait-command.js';

/** The user-facing commands of contract §6: status, the actions, wait, convert, judge and dashboard. */
export function registerRolloutCommands(program: Command): void {
  registerStatus(program);
  registerActions(program);
  registerWait(program);
  registerConvert(program);
  registerJudge(program);
  registerDashboard(program);
}
