import type { Logger } from 'pino';
import type { ControllerProcess } from '../test/support/controller-process.js';
import type { Fault } from './schedule.js';

/** A SIGTERM'd replica that has not exited by then is killed, and the report says so. */
const stopGraceMs = 20_000;
/** A replica that died on its own is started again after this. */
const crashRestartMs = 1000;

export interface KillRecord {
  signal: 'SIGKILL' | 'SIGTERM';
  /** What the schedule asked for, and whether the replica hit was leading at that moment. */
  target: 'leader' | 'follower';
  hitLeader: boolean;
  /** How the process ended: a signal name or an exit code. */
  exit: string;
  /** From the signal to the exit. */
  stopMs: number;
  /** Set when a SIGTERM did not end it within the grace period and it was SIGKILLed. */
  hung?: boolean;
  logFile: string;
}

export interface Crash {
  logFile: string;
  exit: string;
  at: string;
}

interface Replica {
  /** HOSTNAME given to the process: its Lease identity is this plus a random suffix. */
  hostname: string;
  process: ControllerProcess;
  /** Set once the run killed or stopped it, so that its exit is not a crash. */
  ending: boolean;
}

/**
 * The controller replicas of a chaos run: it starts them, kills the one a fault names (found
 * through the Lease holder, whose identity starts with the replica's HOSTNAME), starts a new
 * one in its place, and records any replica that exits by itself as a crash.
 */
export class Replicas {
  readonly kills: KillRecord[] = [];
  readonly crashes: Crash[] = [];
  private readonly running: Replica[] = [];
  private readonly pendingStarts = new Set<Promise<void>>();
  private started = 0;
  private stopping = false;

  constructor(
    private readonly launch: (hostname: string) => ControllerProcess,
    private readonly leaseHolder: () => Promise<string | undefined>,
    private readonly log: Logger,
  ) {}

  async start(count: number): Promise<void> {
    const replicas = Array.from({ length: count }, () => this.startOne());
    await Promise.all(replicas.map((r) => r.process.url()));
  }

  /** Kills the replica the fault names; when none runs (both just killed), the next to start. */
  async kill(fault: Extract<Fault, { kind: 'kill' }>): Promise<KillRecord | undefined> {
    while (this.running.length === 0 && this.pendingStarts.size > 0) {
      await Promise.race(this.pendingStarts);
    }
    const holder = await this.leaseHolder().catch(() => undefined);
    const leader = this.running.find((r) => holder?.startsWith(`${r.hostname}-`));
    const others = this.running.filter((r) => r !== leader);
    const victim = fault.target === 'leader' ? (leader ?? others[0]) : (others[0] ?? leader);
    if (!victim) return undefined;
    victim.ending = true;
    this.remove(victim);
    const signalledAt = Date.now();
    const ended = await this.end(victim, fault.signal);
    const record: KillRecord = {
      signal: fault.signal,
      target: fault.target,
      hitLeader: victim === leader,
      exit: ended.exit,
      stopMs: Date.now() - signalledAt,
      ...(ended.hung ? { hung: true } : {}),
      logFile: victim.process.logFile,
    };
    this.kills.push(record);
    this.log.info(
      {
        signal: fault.signal,
        leader: victim === leader,
        exit: ended.exit,
        log: victim.process.logFile,
      },
      'killed a controller replica',
    );
    this.startLater(fault.restartAfterMs);
    return record;
  }

  /** Stops every replica with SIGTERM, as a rolling update would, after pending starts. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.pendingStarts]);
    const replicas = this.running.splice(0);
    for (const replica of replicas) replica.ending = true;
    await Promise.all(replicas.map((replica) => this.end(replica, 'SIGTERM')));
  }

  private startOne(): Replica {
    this.started++;
    const hostname = `chaos-replica-${this.started}`;
    const replica: Replica = { hostname, process: this.launch(hostname), ending: false };
    this.running.push(replica);
    void replica.process.exited.then((status) => {
      if (replica.ending) return;
      this.crashes.push({
        logFile: replica.process.logFile,
        exit: String(status),
        at: new Date().toISOString(),
      });
      this.log.warn({ exit: status, log: replica.process.logFile }, 'a controller replica died');
      this.remove(replica);
      this.startLater(crashRestartMs);
    });
    return replica;
  }

  private startLater(delayMs: number): void {
    if (this.stopping) return;
    const pending = new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() => {
      if (!this.stopping) this.startOne();
    });
    this.pendingStarts.add(pending);
    void pending.finally(() => this.pendingStarts.delete(pending));
  }

  private remove(replica: Replica): void {
    const index = this.running.indexOf(replica);
    if (index >= 0) this.running.splice(index, 1);
  }

  private async end(
    replica: Replica,
    signal: 'SIGKILL' | 'SIGTERM',
  ): Promise<{ exit: string; hung: boolean }> {
    const exited = replica.process.exited.then(String);
    void replica.process.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), stopGraceMs);
    });
    const exit = await Promise.race([exited, grace]);
    clearTimeout(timer);
    if (exit !== undefined) return { exit, hung: false };
    this.log.warn({ log: replica.process.logFile }, `no exit ${stopGraceMs} ms after ${signal}`);
    void replica.process.kill('SIGKILL');
    return { exit: await exited, hung: true };
  }
}
