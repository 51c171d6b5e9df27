import { describe, expect, it } from 'vitest';
import type { RestorePoint, RolloutEvent } from '../../../machines/context.js';
import { restorePoints } from '../../../machines/context.js';
import type { MachineDocument } from '../../../machines/persistence.js';
import { parseMachineDocument, SnapshotError } from '../../../machines/persistence.js';
import type { RolloutPlan } from '../../../machines/plan.js';
import type { Run, Script } from './harness.js';
import {
  everyStep,
  failing,
  intervalMs,
  makePlan,
  never,
  noData,
  passing,
  run,
} from './harness.js';

describe('the status document', () => {
  const valid = async () => {
    const rollout = run();
    await rollout.flush();
    return rollout.doc();
  };

  it('is small plain JSON that parses back to itself', async () => {
    const document = await valid();
    expect(parseMachineDocument(JSON.parse(JSON.stringify(document)))).toEqual(document);
    expect(JSON.stringify(document).length).toBeLessThan(600);
  });

  it.each([
    [
      'an older version',
      { version: 0 },
      'status.machine has version 0; fledge 0.1 reads version 1',
    ],
    ['no version', { version: undefined }, 'status.machine has version undefined'],
    [
      'an unknown state',
      { state: 'Canarying' },
      'status.machine.state is "Canarying", expected one of',
    ],
    [
      'a negative count',
      { failedChecks: -1 },
      'status.machine.failedChecks is -1, expected a non-negative integer',
    ],
    ['a weight above 100', { canaryWeight: 120 }, 'status.machine.canaryWeight is 120'],
    ['a text deadline', { nextAnalysisAt: 'soon' }, 'status.machine.nextAnalysisAt is "soon"'],
    ['an unknown field', { xstate: {} }, 'status.machine has unknown fields xstate'],
    [
      'a missing field',
      { revision: undefined },
      'status.machine.revision is undefined, expected a string',
    ],
  ])(
    'rejects %s with a SnapshotError naming the field and the fix',
    async (_, change, expected) => {
      const stored: Record<string, unknown> = { ...(await valid()), ...change };
      for (const [key, value] of Object.entries(change))
        if (value === undefined) delete stored[key];
      expect(() => parseMachineDocument(stored)).toThrow(SnapshotError);
      expect(() => parseMachineDocument(stored)).toThrow(expected);
      expect(() => parseMachineDocument(stored)).toThrow(
        'fledge starts it afresh from Initializing',
      );
    },
  );

  it('reads a field a merge patch removed for being null as null', async () => {
    const document = await valid();
    const nullable = Object.keys(document).filter(
      (key) => document[key as keyof MachineDocument] === null,
    );
    expect(nullable.length).toBeGreaterThan(0);
    const stored = Object.fromEntries(
      Object.entries(document).filter(([, value]) => value !== null),
    );
    expect(parseMachineDocument(stored)).toEqual(document);
  });

  it('reads a metric without data whose null value the API server dropped from the array', async () => {
    const document = {
      ...(await valid()),
      lastAnalysis: {
        noData: true,
        results: [{ metric: 'request-success-rate', value: null, min: 99, passed: false }],
      },
    };
    // What a merge patch leaves of it: `value` gone, not null.
    const stored = structuredClone(document) as { lastAnalysis: { results: object[] } };
    stored.lastAnalysis.results = [{ metric: 'request-success-rate', min: 99, passed: false }];
    expect(parseMachineDocument(stored)).toEqual(document);
  });

  it('keeps why the metric source was blind, and refuses a reason that is not text', async () => {
    const lastAnalysis = {
      noData: true,
      blind: 'Prometheus started 3s ago, less than twice the 6s window of request-success-rate',
      results: [{ metric: 'request-success-rate', value: null, min: 99, passed: false }],
    };
    const document = { ...(await valid()), lastAnalysis };
    expect(parseMachineDocument(structuredClone(document))).toEqual(document);
    expect(() =>
      parseMachineDocument({ ...document, lastAnalysis: { ...lastAnalysis, blind: 3 } }),
    ).toThrow('status.machine.lastAnalysis');
  });

  it('rejects something that is not an object', () => {
    expect(() => parseMachineDocument('Progressing')).toThrow(
      'status.machine is "Progressing", not an object',
    );
  });

  it('refuses to restore from a rejected document', () => {
    expect(() => run({ document: { version: 2 } })).toThrow(SnapshotError);
  });
});

interface Scenario {
  plan?: RolloutPlan;
  script?: Script;
  /** People's events, by simulated time. */
  events: { at: number; event: RolloutEvent }[];
}

const endAt = 30 * intervalMs;
const newRevision = { at: 0, event: { type: 'NEW_REVISION', revision: 'r2' } } as const;
const mid = (intervals: number) => intervals * intervalMs + 500;

const scenarios: Record<string, Scenario> = {
  'a healthy rollout through every gate and webhook': {
    plan: makePlan({
      weights: [25, 50],
      webhookTypes: everyStep,
    }),
    script: { gate: (type) => type !== 'rollback' },
    events: [newRevision],
  },
  'a blue/green rollout through every gate and webhook': {
    plan: makePlan({
      strategy: 'blueGreen',
      weights: [100],
      iterations: 2,
      webhookTypes: everyStep,
    }),
    script: { gate: (type) => type !== 'rollback' },
    events: [newRevision],
  },
  'an A/B test with a new revision mid-analysis': {
    plan: makePlan({ strategy: 'abTesting', weights: [], iterations: 3, pinsRequests: true }),
    events: [newRevision, { at: mid(2), event: { type: 'NEW_REVISION', revision: 'r3' } }],
  },
  'a failing rollout': {
    script: { analyse: (iteration) => (iteration >= 2 ? failing : passing) },
    events: [newRevision],
  },
  'a promotion in steps whose steps fail before they succeed': {
    plan: makePlan({ weights: [25, 50], promotionStep: 20 }),
    script: {
      setWeight: (weight) =>
        weight < 25 && clockNow < 8 * intervalMs
          ? Promise.reject(new Error('conflict'))
          : Promise.resolve(),
    },
    events: [newRevision],
  },
  'a manual promotion': {
    plan: makePlan({ promotion: 'manual' }),
    events: [newRevision, { at: mid(9), event: { type: 'PROMOTE' } }],
  },
  'a pause and resume': {
    events: [
      newRevision,
      { at: mid(2), event: { type: 'PAUSE' } },
      { at: mid(6), event: { type: 'RESUME' } },
    ],
  },
  'a pause on no data': {
    plan: makePlan({ onNoData: 'pause' }),
    script: { analyse: (iteration) => (iteration === 2 ? noData : passing) },
    events: [newRevision, { at: mid(5), event: { type: 'RESUME' } }],
  },
  'an abort, a retry and a promotion': {
    plan: makePlan({ promotion: 'manual', weights: [50] }),
    events: [
      newRevision,
      { at: mid(3), event: { type: 'ABORT' } },
      { at: mid(5), event: { type: 'RETRY' } },
      { at: mid(9), event: { type: 'PROMOTE' } },
    ],
  },
  'a new revision mid-analysis': {
    events: [newRevision, { at: mid(3), event: { type: 'NEW_REVISION', revision: 'r3' } }],
  },
  'slow effects that fail before they succeed': {
    plan: makePlan({ weights: [50] }),
    script: {
      initialize: () =>
        clockNow < 2 * intervalMs ? Promise.reject(new Error('no apiserver')) : Promise.resolve(),
      promote: () =>
        clockNow < 8 * intervalMs
          ? Promise.reject(new Error('primary not ready'))
          : Promise.resolve(),
      finalise: () =>
        clockNow < 10 * intervalMs ? Promise.reject(new Error('conflict')) : Promise.resolve(),
    },
    events: [{ at: mid(2), event: { type: 'NEW_REVISION', revision: 'r2' } }],
  },
  'a rollback that fails before it succeeds': {
    script: {
      analyse: () => failing,
      rollback: () =>
        clockNow < 8 * intervalMs ? Promise.reject(new Error('conflict')) : Promise.resolve(),
    },
    events: [newRevision],
  },
  'a rollback that creates the missing primary again, ready after some intervals': {
    script: {
      analyse: () => failing,
      rollback: () => Promise.resolve(clockNow >= 12 * intervalMs),
      awaitPrimary: () =>
        clockNow < 12 * intervalMs ? Promise.reject(new Error('not ready')) : Promise.resolve(),
    },
    events: [newRevision],
  },
  'a release that waits in the queue for its slot': {
    plan: makePlan({ waitsForSlot: true }),
    events: [newRevision, { at: mid(3), event: { type: 'SLOT_GRANTED' } }],
  },
  'a release queued again after a pause': {
    plan: makePlan({ waitsForSlot: true }),
    events: [
      newRevision,
      { at: mid(1), event: { type: 'PAUSE' } },
      { at: mid(2), event: { type: 'RESUME' } },
      { at: mid(4), event: { type: 'SLOT_GRANTED' } },
    ],
  },
  'a canary that never gets ready': {
    script: { startCanary: never },
    events: [newRevision],
  },
};

/** Effects that depend on time read it here; each run sets it from its own clock. */
let clockNow = 0;

/** Drives a run to `endAt`, sending the scenario's events from index `sent` on. */
async function drive(rollout: Run, events: Scenario['events'], sent: number, marks: number[]) {
  let next = sent;
  for (;;) {
    clockNow = rollout.clock.now();
    await rollout.flush();
    while (next < events.length && (events[next]?.at ?? Infinity) <= rollout.clock.now()) {
      marks.push(rollout.documents.length);
      await rollout.send((events[next] as Scenario['events'][number]).event);
      next++;
    }
    if (rollout.clock.now() >= endAt) return;
    await rollout.advance(100);
  }
}

const restoredFrom = new Set<RestorePoint>();

describe.each(Object.entries(scenarios))('restoring %s', (_, scenario) => {
  it('continues from every snapshot to the same outcome as the uninterrupted run', async () => {
    const options = { plan: scenario.plan ?? makePlan(), script: scenario.script ?? {} };
    clockNow = 0;
    const uninterrupted = run(options);
    const marks: number[] = [];
    await drive(uninterrupted, scenario.events, 0, marks);
    const outcome = uninterrupted.doc();

    const seen = new Set<string>();
    for (const [index, { at, document }] of uninterrupted.documents.entries()) {
      const key = JSON.stringify(document);
      if (seen.has(key)) continue;
      seen.add(key);
      restoredFrom.add(document.state);
      const sent = marks.filter((mark) => mark <= index).length;
      clockNow = at;
      const stored: MachineDocument = JSON.parse(key);
      const restored = run({ ...options, document: stored, startAt: at });
      await drive(restored, scenario.events, sent, []);
      expect(restored.doc(), `restored from ${key} at ${at} ms`).toEqual(outcome);
    }
  });
});

describe('restoring', () => {
  it('was tried from every restore point', () => {
    expect([...restorePoints].filter((point) => !restoredFrom.has(point))).toEqual([]);
  });
});
