import { describe, expect, it } from 'vitest';
import { DEFAULT_KILLS, DEFAULT_MINUTES, parseChaosArgs } from '../../../chaos/options.js';
import { seededRandom, stream } from '../../../chaos/random.js';
import { faultSchedule } from '../../../chaos/schedule.js';

describe('seededRandom', () => {
  it('replays the same sequence from the same seed, another from another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed).next);
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('gives each purpose its own stream', () => {
    expect(stream(7, 'faults').next()).toBe(stream(7, 'faults').next());
    expect(stream(7, 'faults').next()).not.toBe(stream(7, 'rollout a').next());
  });

  it('draws integers within bounds and picks from a list', () => {
    const random = seededRandom(1);
    const ints = Array.from({ length: 200 }, () => random.int(2, 4));
    expect(new Set(ints)).toEqual(new Set([2, 3, 4]));
    expect(['x']).toContain(random.pick(['x']));
    expect(() => random.pick([])).toThrow(RangeError);
  });
});

describe('faultSchedule', () => {
  const options = { kills: 24, apiServerRestarts: 3, prometheusRestarts: 3, durationMs: 360_000 };

  it('schedules every fault inside the run, in order, the same for the same seed', () => {
    const schedule = faultSchedule(options, seededRandom(42));
    expect(schedule.filter((s) => s.fault.kind === 'kill')).toHaveLength(24);
    expect(schedule.filter((s) => s.fault.kind === 'restart-apiserver')).toHaveLength(3);
    expect(schedule.filter((s) => s.fault.kind === 'restart-prometheus')).toHaveLength(3);
    expect(schedule.every((s) => s.atMs > 0 && s.atMs < options.durationMs)).toBe(true);
    expect(schedule.map((s) => s.atMs)).toEqual(
      [...schedule.map((s) => s.atMs)].sort((a, b) => a - b),
    );
    expect(faultSchedule(options, seededRandom(42))).toEqual(schedule);
    expect(faultSchedule(options, seededRandom(43))).not.toEqual(schedule);
  });

  it('keeps kills at least a fifth of a slot apart', () => {
    const kills = faultSchedule(options, seededRandom(3))
      .filter((s) => s.fault.kind === 'kill')
      .map((s) => s.atMs);
    const slot = options.durationMs / options.kills;
    for (let i = 1; i < kills.length; i++) {
      expect((kills[i] ?? 0) - (kills[i - 1] ?? 0)).toBeGreaterThanOrEqual(slot / 5 - 1);
    }
  });

  it('uses both signals, both targets and bounded restart delays', () => {
    const kills = faultSchedule({ ...options, kills: 200 }, seededRandom(5)).flatMap((s) =>
      s.fault.kind === 'kill' ? [s.fault] : [],
    );
    expect(new Set(kills.map((k) => k.signal))).toEqual(new Set(['SIGKILL', 'SIGTERM']));
    expect(new Set(kills.map((k) => k.target))).toEqual(new Set(['leader', 'follower']));
    expect(kills.filter((k) => k.target === 'leader').length).toBeGreaterThan(100);
    expect(kills.every((k) => k.restartAfterMs >= 0 && k.restartAfterMs <= 3000)).toBe(true);
  });

  it('schedules nothing when asked for nothing', () => {
    const none = { kills: 0, apiServerRestarts: 0, prometheusRestarts: 0, durationMs: 60_000 };
    expect(faultSchedule(none, seededRandom(1))).toEqual([]);
  });
});

describe('parseChaosArgs', () => {
  const parse = (...argv: string[]) => parseChaosArgs(argv, () => 99, true);

  it('has defaults for a run of about 10 minutes, with a random seed', () => {
    expect(parse()).toEqual({
      seed: 99,
      kills: DEFAULT_KILLS,
      minutes: DEFAULT_MINUTES,
      apiServerRestarts: 3,
      prometheusRestarts: 3,
    });
  });

  it('takes every flag, and derives the restarts from the minutes', () => {
    expect(parse('--seed', '7', '--kills', '5', '--minutes', '1.5')).toEqual({
      seed: 7,
      kills: 5,
      minutes: 1.5,
      apiServerRestarts: 1,
      prometheusRestarts: 1,
    });
    expect(parse('--api-restarts', '0', '--prometheus-restarts', '4')).toMatchObject({
      apiServerRestarts: 0,
      prometheusRestarts: 4,
    });
  });

  it.each([
    [['--kills', '-1'], '--kills takes a whole number from 0 to 1000'],
    [['--kills', '2.5'], '--kills takes a whole number from 0 to 1000'],
    [['--minutes', '0'], '--minutes takes a number of minutes above 0, at most 60'],
    [['--minutes', '600'], '--minutes takes a number of minutes above 0, at most 60'],
    [['--seed', 'abc'], '--seed takes a whole number'],
    [['--kill', '3'], "unknown option '--kill'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });
});
