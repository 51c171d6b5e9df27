import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDuration, registerSimulate, simulate } from '../../../src/sim/simulate.js';

describe('the terminal simulation', () => {
  it('promotes a healthy canary, printing each step', async () => {
    const lines: string[] = [];
    const document = await simulate({
      faulty: false,
      intervalMs: 20,
      print: (line) => lines.push(line),
    });
    expect(document).toMatchObject({ phase: 'Succeeded', lastPromotedRevision: 'v2' });
    expect(lines.some((line) => line.includes('Progressing') && line.includes('50%'))).toBe(true);
    expect(lines.at(-1)).toContain('promoted revision v2');
  });

  it('rolls back a faulty canary', async () => {
    const lines: string[] = [];
    const document = await simulate({
      faulty: true,
      intervalMs: 20,
      print: (line) => lines.push(line),
    });
    expect(document).toMatchObject({
      phase: 'Failed',
      reason: 'ThresholdReached',
      canaryWeight: 0,
    });
    expect(lines.some((line) => line.includes('request-success-rate=87!'))).toBe(true);
  });

  it('steps on from weight 0 when no traffic reached the canary there (Flagger’s rule)', async () => {
    const lines: string[] = [];
    const document = await simulate({
      faulty: false,
      atWeightZero: 'no-data',
      intervalMs: 20,
      print: (line) => lines.push(line),
    });
    expect(document).toMatchObject({ phase: 'Succeeded', failedChecks: 0 });
    expect(lines.some((line) => line.includes('request-success-rate=no data'))).toBe(true);
  });

  it('rolls back at weight 0 a canary that fails under direct load, before any user sees it', async () => {
    const lines: string[] = [];
    const document = await simulate({
      faulty: false,
      atWeightZero: 'failing',
      intervalMs: 20,
      print: (line) => lines.push(line),
    });
    expect(document).toMatchObject({ phase: 'Failed', reason: 'ThresholdReached' });
    expect(lines.filter((line) => /\]\s+[1-9]\d*%/.test(line))).toEqual([]);
  });

  it('reads intervals as the Rollout spec writes them and rejects others', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2m')).toBe(120_000);
    expect(() => parseDuration('1 hour')).toThrow(
      '--interval 1 hour: expected a duration such as 500ms, 1s or 1m',
    );
  });

  it('registers the simulate subcommand', () => {
    const program = new Command('fledge');
    registerSimulate(program);
    const command = program.commands.find((candidate) => candidate.name() === 'simulate');
    expect(command?.options.map((option) => option.long)).toEqual([
      '--faulty',
      '--interval',
      '--at-weight-0',
    ]);
  });
});
