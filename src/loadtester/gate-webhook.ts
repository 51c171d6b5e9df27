import type { Logger } from 'pino';
import type { GateKind, GateStore } from './gates.js';
import { busy, type Reply } from './http-io.js';
import type { LoadtesterMetrics } from './metrics.js';
import type { WebhookPayload } from './payload.js';

export type GateAction = { kind: GateKind; action: 'check' | 'open' | 'close' };

export const GATE_ROUTES: ReadonlyMap<string, GateAction> = new Map([
  ['/gate/check', { kind: 'gate', action: 'check' }],
  ['/gate/open', { kind: 'gate', action: 'open' }],
  ['/gate/close', { kind: 'gate', action: 'close' }],
  ['/rollback/check', { kind: 'rollback', action: 'check' }],
  ['/rollback/open', { kind: 'rollback', action: 'open' }],
  ['/rollback/close', { kind: 'rollback', action: 'close' }],
]);

/** Flagger's gate endpoints: a check answers 200 when open, 403 when closed. */
export function answerGate(
  gate: GateAction,
  payload: WebhookPayload,
  deps: { gates: GateStore; metrics: LoadtesterMetrics; logger: Logger },
): Reply {
  const rollout = `${payload.namespace}/${payload.name}`;
  if (gate.action === 'check') {
    const open = deps.gates.isOpen(gate.kind, rollout);
    deps.logger.info({ rollout, gate: gate.kind, open }, 'gate checked');
    return { status: open ? 200 : 403, body: { rollout, [gate.kind]: open ? 'open' : 'closed' } };
  }
  const open = gate.action === 'open';
  if (!deps.gates.set(gate.kind, rollout, open)) {
    deps.metrics.refused('gates');
    return busy(
      `${deps.gates.capacity} gates are open, the most it keeps: close gates that are no longer needed, then retry`,
    );
  }
  deps.logger.info({ rollout, gate: gate.kind, action: gate.action }, 'gate changed');
  return { status: 202, body: { rollout, [gate.kind]: open ? 'open' : 'closed' } };
}
