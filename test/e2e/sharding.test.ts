import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAuditFacts, type WriteFact } from '../../chaos/audit-log.js';
import { CONTROLLER_AGENT, checkSingleDriver } from '../../chaos/leadership.js';
import { shardLeaseName, shardOf } from '../../src/controller/shards.js';
import { type Playground, startPlayground } from '../../src/playground/playground.js';
import { type ControllerProcess, startControllerProcess } from '../support/controller-process.js';
import { startTraffic, type Traffic } from '../support/traffic.js';
import { waitFor } from '../support/wait.js';
import { kubectl } from './support/kubectl.js';
import { appManifest, finished, rolloutManifest, waitForStatus } from './support/rollout.js';

/**
 * Past one controller (issue 13): three replicas spread the Rollouts over six shard Leases;
 * one is SIGKILLed mid-release and the others finish its Rollouts. Who held what, and who
 * wrote what, is read from the API server (the shard Leases and its audit log), never from
 * fledge's own view. It runs a playground of its own, with an audit log.
 */

const run = Date.now().toString(36);
const SHARDS = 6;
const REPLICAS = 3;
const LEASE = { namespace: 'default', base: `fledge-shards-${run}` };
const namespace = `shards-${run}`;
const leaseOf = (shard: number) => shardLeaseName(LEASE.base, shard, SHARDS);

/** One Rollout per shard: app-<k> for the first k that lands on each shard. */
function rolloutNames(): string[] {
  const byShard = new Map<number, string>();
  for (let k = 0; byShard.size < SHARDS; k++) {
    const name = `app-${k}`;
    const shard = shardOf(`${namespace}/${name}`, SHARDS);
    if (!byShard.has(shard)) byShard.set(shard, name);
  }
  return [...byShard.entries()].sort(([a], [b]) => a - b).map(([, name]) => name);
}

const names = rolloutNames();
let playground: Playground;
const replicas: ControllerProcess[] = [];
const traffic: Traffic[] = [];

const kube = (args: string[], input?: string) =>
  kubectl(args, { kubeconfigPath: playground.kubeconfigPath, ...(input ? { input } : {}) });

const statusOf = (name: string, what: string, accept: Parameters<typeof waitForStatus>[3]) =>
  waitForStatus(namespace, name, what, accept, [], {
    kubeconfigPath: playground.kubeconfigPath,
    timeoutMs: 480_000,
  });

/** The holder of each shard Lease, as the API server has it ('' for none yet). */
async function holders(): Promise<string[]> {
  const out = await kube([
    '-n',
    LEASE.namespace,
    'get',
    'leases',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}={.spec.holderIdentity}{"\\n"}{end}',
  ]);
  const held = new Map(out.split('\n').map((line) => line.split('=') as [string, string]));
  return Array.from({ length: SHARDS }, (_, shard) => held.get(leaseOf(shard)) ?? '');
}

/** Starts three replicas named `<prefix>-<i>` (their HOSTNAME), each ready before the next. */
async function startReplicas(prefix: string, extraArgs: string[]): Promise<ControllerProcess[]> {
  const started: ControllerProcess[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    const replica = startControllerProcess({
      kubeconfig: playground.kubeconfigPath,
      prometheusUrl: playground.prometheusUrl,
      meshProxy: playground.meshProxy,
      namespaces: [namespace],
      logDir: path.join(tmpdir(), 'fledge-e2e'),
      leaderElect: true,
      leaseNamespace: LEASE.namespace,
      leaseName: LEASE.base,
      leaseDuration: '3s',
      extraArgs,
      env: { HOSTNAME: `${prefix}-${i}` },
    });
    replicas.push(replica);
    started.push(replica);
    await replica.url();
  }
  return started;
}

/** The Rollout a controller's write is for: routing objects and Rollouts share its name. */
const rolloutOf = (fact: WriteFact) => `${fact.namespace}/${fact.name.replace(/-primary$/, '')}`;

beforeAll(async () => {
  playground = await startPlayground({
    name: `e2e-shards-${process.pid}`,
    auditLog: true,
    fledge: { controller: false, loadtester: false },
    logger: pino({ level: 'warn' }),
  });
}, 600_000);

afterAll(async () => {
  await Promise.all(traffic.map((t) => t.stop()));
  await Promise.all(replicas.map((r) => r.kill('SIGKILL')));
  if (playground) {
    await playground.stop();
    await rm(playground.stateDir, { recursive: true, force: true });
  }
});

describe('sharding over three controller replicas', () => {
  it('spreads the Rollouts, finishes a SIGKILLed replica’s on the others, and never lets two drive one', async () => {
    // Given six Rollouts, one per shard, initialized by three replicas with --shards 6
    await kube(['create', 'namespace', namespace]);
    for (const name of names) {
      await kube(['apply', '-f', '-'], appManifest({ name, namespace }));
      await kube(
        ['apply', '-f', '-'],
        rolloutManifest({ name, namespace, interval: '2s', stepWeight: 20, maxWeight: 60 }),
      );
      traffic.push(
        startTraffic(
          [`http://${name}.${namespace}:8080/`, `http://${name}-canary.${namespace}:8080/`],
          4,
          600_000,
          playground.meshProxy,
        ),
      );
    }
    await startReplicas('replica', ['--shards', String(SHARDS)]);
    for (const name of names)
      await statusOf(name, 'to be Initialized', (s) => s.phase === 'Initialized');
    // A replica's identity (its Lease holder name and User-Agent) starts with its HOSTNAME.
    const identities = await waitFor(
      'each replica to hold two shards, as the shard Leases say',
      async () => {
        const held = await holders();
        const ids = replicas.map((_, i) => held.filter((h) => h.startsWith(`replica-${i}-`)));
        return ids.every((mine) => mine.length === 2)
          ? ids.map((mine) => mine[0] as string)
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    // When every Rollout releases a new image, and one replica is SIGKILLed mid-release
    for (const name of names) {
      await kube(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);
    }
    const held = await holders();
    const victim = replicas[0] as ControllerProcess;
    const victimId = identities[0] as string;
    const victimShards = held.flatMap((h, shard) => (h === victimId ? [shard] : []));
    const victimRollouts = victimShards.map((shard) => names[shard] as string);
    for (const name of victimRollouts) {
      await statusOf(name, 'to shift traffic', (s) => (s.canaryWeight ?? 0) >= 20);
    }
    await victim.kill('SIGKILL');

    // Then its shards go to the others, and every Rollout finishes, promoted
    const after = await waitFor(
      'the killed replica’s shards held by the others',
      async () => {
        const now = await holders();
        return victimShards.every((s) => now[s] !== victimId && now[s] !== '') ? now : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    for (const shard of victimShards) expect(identities.slice(1)).toContain(after[shard]);
    for (const name of names) {
      const end = await statusOf(name, 'to finish', finished);
      expect(end.phase, `${name}: ${end.message}`).toBe('Succeeded');
    }
    await Promise.all(replicas.slice(1).map((r) => r.kill('SIGTERM')));

    // And the audit log shows each shard's Rollouts written by one holder of its Lease at a time
    const logPath = playground.clusters[0]?.auditLogPath;
    expect(logPath).toBeTruthy();
    const facts = await readAuditFacts(logPath as string);
    const writers = new Map<string, Set<string>>();
    for (const fact of facts) {
      if (!fact.userAgent.startsWith(CONTROLLER_AGENT) || fact.subject.kind === 'lease') continue;
      const set = writers.get(rolloutOf(fact)) ?? new Set<string>();
      set.add(fact.userAgent.slice(CONTROLLER_AGENT.length));
      writers.set(rolloutOf(fact), set);
    }
    // Spread: each replica wrote Rollouts of its own.
    for (const id of identities) {
      expect([...writers.values()].some((set) => set.has(id as string))).toBe(true);
    }
    // The victim's Rollouts were finished by a survivor.
    for (const name of victimRollouts) {
      expect([...(writers.get(`${namespace}/${name}`) ?? [])].length).toBeGreaterThan(1);
    }
    const takeovers: number[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      const ofShard = facts.filter(
        (f) =>
          f.subject.kind === 'lease' ||
          (f.namespace === namespace && shardOf(rolloutOf(f), SHARDS) === shard),
      );
      const check = checkSingleDriver(
        ofShard,
        { namespace: LEASE.namespace, name: leaseOf(shard) },
        rolloutOf,
      );
      expect(check.violations, JSON.stringify(check.violations, null, 2)).toEqual([]);
      expect(check.accepted).toBeGreaterThan(0);
      if (victimShards.includes(shard)) takeovers.push(...check.handOversMs.slice(-1));
    }
    console.log(
      `e2e figure: shards of a SIGKILLed replica held again ${takeovers.map((ms) => Math.round(ms)).join(', ')} ms after its last renewal (3 s lease), per the audit log`,
    );
  });

  it('caps the releases in analysis over all replicas, as one release queue', async () => {
    // Given the six Rollouts, driven by three new replicas allowed 2 releases at once in all
    await Promise.all(replicas.map((r) => r.kill('SIGKILL')));
    const queueing = await startReplicas('queue', [
      '--shards',
      String(SHARDS),
      '--max-releases',
      '2',
    ]);
    await waitFor(
      'each new replica to hold two shards',
      async () => {
        const held = await holders();
        return queueing.every(
          (_, i) => held.filter((h) => h.startsWith(`queue-${i}-`)).length === 2,
        );
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    // When all six release a new image at once
    await Promise.all(
      names.map((name) =>
        kube(['-n', namespace, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:3.0.0']),
      ),
    );

    // Then all six succeed, and the histories show at most 2 between their slot and their end
    const releases = await Promise.all(
      names.map(async (name) => {
        const end = await statusOf(
          name,
          'to finish the third release',
          (s) =>
            finished(s) &&
            (s.history ?? []).some(
              (e) => e.revision === s.currentRevision && e.reason === 'SlotGranted',
            ),
        );
        expect(end.phase, `${name}: ${end.message}`).toBe('Succeeded');
        const release = (end.history ?? []).filter((e) => e.revision === end.currentRevision);
        const at = (reason: string) =>
          Date.parse(release.find((e) => e.reason === reason)?.at ?? '');
        return { name, queued: at('Queued'), granted: at('SlotGranted'), ended: at('Succeeded') };
      }),
    );
    const moments = releases
      .flatMap((r) => [
        { t: r.granted, delta: 1 },
        { t: r.ended, delta: -1 },
      ])
      .sort((x, y) => x.t - y.t || x.delta - y.delta);
    expect(
      moments.every((m) => Number.isFinite(m.t)),
      JSON.stringify(releases),
    ).toBe(true);
    let inAnalysis = 0;
    let most = 0;
    for (const moment of moments) {
      inAnalysis += moment.delta;
      most = Math.max(most, inAnalysis);
    }
    expect(most, JSON.stringify(releases)).toBe(2);
    // How soon a freed slot went to a waiting release, often one on another replica.
    const handOvers = releases.flatMap((r) => {
      const endsBefore = releases.map((o) => o.ended).filter((t) => t <= r.granted);
      return endsBefore.length > 0 ? [r.granted - Math.max(...endsBefore)] : [];
    });

    // (Printed, not asserted: the six enter the queue within a second, closer than a status
    // takes to reach the other replicas' caches.)
    const byGrant = [...releases].sort((x, y) => x.granted - y.granted);
    const inQueueOrder = byGrant
      .slice(1)
      .filter((r, i) => r.queued >= (byGrant[i] as typeof r).queued).length;

    // And the grants were written to the release ledger by more than one replica
    await Promise.all(queueing.map((r) => r.kill('SIGTERM')));
    const facts = await readAuditFacts(playground.clusters[0]?.auditLogPath as string);
    const granting = new Set(
      facts
        .filter((f) => f.name === `${LEASE.base}-release-grants` && f.code < 300)
        .map((f) => f.userAgent),
    );
    expect(granting.size).toBeGreaterThan(1);
    console.log(
      `e2e figure: 6 releases over 3 replicas under --max-releases 2, at most ${most} at once; grants written by ${granting.size} replicas; from a release's end to the next grant ${handOvers.map((ms) => Math.round(ms)).join(', ')} ms (history times); ${inQueueOrder} of 5 consecutive grants in queue order`,
    );
  });
});
