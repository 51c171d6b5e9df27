import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../src/kube/api-server.js';
import { fencedWrite } from '../../../src/kube/fenced.js';
import { type LeaderTerm, NotLeadingError } from '../../../src/kube/leader.js';

/** A term whose end and remaining time the test sets by hand. */
function fakeTerm() {
  const abort = new AbortController();
  const state = { remainingMs: 5_000, ended: undefined as string | undefined };
  const refuse = (why: string) => new NotLeadingError('ns/lease', 'me', 3, why);
  const term: LeaderTerm = {
    lease: 'ns/lease',
    identity: 'me',
    number: 3,
    signal: abort.signal,
    acquiredAt: 0,
    validUntil: 0,
    tookOverFrom: undefined,
    get active() {
      return state.ended === undefined && state.remainingMs > 0;
    },
    get remainingMs() {
      return state.ended === undefined ? state.remainingMs : 0;
    },
    get endReason() {
      return state.ended;
    },
    require(marginMs = 0) {
      if (!this.active) throw refuse('ended');
      if (state.remainingMs <= marginMs) throw refuse('margin');
      return this;
    },
  };
  const end = (reason: string) => {
    state.ended = reason;
    abort.abort(refuse(reason));
  };
  return { term, state, end };
}

const conflict = () =>
  new KubeApiError('PUT', '/x', 409, 'Conflict', 'the object has been modified');
const noSleep = async () => {};

describe('fencedWrite', () => {
  it('retries a 409 while the term runs, reading afresh, and hands every attempt the term signal', async () => {
    const { term } = fakeTerm();
    const seen: { attempt: number; signal: AbortSignal }[] = [];
    const result = await fencedWrite(
      term,
      async ({ attempt, signal }) => {
        seen.push({ attempt, signal });
        if (attempt === 1) throw conflict();
        return 'written';
      },
      { sleep: noSleep },
    );
    expect(result).toBe('written');
    expect(seen.map((s) => s.attempt)).toEqual([1, 2]);
    expect(seen.every((s) => s.signal === term.signal)).toBe(true);
  });

  it('never re-applies a write refused with 409 once the term has ended', async () => {
    const { term, end } = fakeTerm();
    let writes = 0;
    const error = await fencedWrite(
      term,
      async () => {
        writes += 1;
        end('the renew deadline passed');
        throw conflict();
      },
      { sleep: noSleep },
    ).catch((e) => e);
    expect(writes).toBe(1);
    expect(error).toBeInstanceOf(NotLeadingError);
    expect((error as Error).message).toMatch(
      /me does not lead through Lease ns\/lease \(term 3\): the term ended \(the renew deadline passed\) before the write was confirmed; it is not retried/,
    );
    expect((error as Error).cause).toBeInstanceOf(KubeApiError);
  });

  it('does not start a write with less of the term left than the margin', async () => {
    const { term, state } = fakeTerm();
    state.remainingMs = 300;
    let writes = 0;
    const write = async () => {
      writes += 1;
      return 'written';
    };
    await expect(fencedWrite(term, write, { marginMs: 500 })).rejects.toBeInstanceOf(
      NotLeadingError,
    );
    expect(writes).toBe(0);
    await expect(fencedWrite(term, write, { marginMs: 100 })).resolves.toBe('written');
  });

  it('passes other failures through while the term runs', async () => {
    const { term } = fakeTerm();
    const refused = new KubeApiError('PUT', '/x', 422, 'Invalid', 'spec.x: Invalid value');
    await expect(
      fencedWrite(term, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
  });
});
