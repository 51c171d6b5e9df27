/** `fledge judge` as a user runs it: a process reading a file or stdin, with real exit codes. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

/** 30 latencies around 100 ms, the same every run. */
const baseline = Array.from({ length: 30 }, (_, i) => 100 + ((i * 37) % 23) - 11);
const slower = (factor: number) => baseline.map((v, i) => v * factor + ((i * 17) % 7) - 3);

const healthy = {
  metrics: [
    { name: 'latency', direction: 'increase', critical: true, canary: slower(1), baseline },
    {
      name: 'success-rate',
      direction: 'decrease',
      canary: Array(30).fill(100),
      baseline: Array(30).fill(100),
    },
  ],
};

async function inputFile(content: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fledge-judge-'));
  const file = path.join(dir, 'input.json');
  await writeFile(file, content);
  return file;
}

describe('fledge judge', () => {
  it('reads a file and exits 0 when the canary passes', async () => {
    const result = await runCli(['judge', await inputFile(JSON.stringify(healthy))]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ score: 100, result: 'Pass' });
    expect(
      output.metrics.map((m: { name: string; classification: string }) => [
        m.name,
        m.classification,
      ]),
    ).toEqual([
      ['latency', 'Pass'],
      ['success-rate', 'Pass'],
    ]);
    expect(Object.keys(output.metrics[0])).toEqual([
      'name',
      'classification',
      'critical',
      'reason',
      'groups',
      'confidence',
      'canary',
      'baseline',
      'shift',
      'interval',
      'intervalConfidence',
      'pValue',
      'method',
      'meanRatio',
    ]);
  });

  it('reads stdin and exits 1 when a critical metric is High, saying which and by how much', async () => {
    const input = {
      ...healthy,
      metrics: [{ ...healthy.metrics[0], canary: slower(2.5) }, healthy.metrics[1]],
    };
    const result = await runCli(['judge', '-'], {}, JSON.stringify(input));
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ score: 0, result: 'Fail' });
    expect(output.reason).toBe(
      'critical metric failed: latency is High (critical): canary median 249.5 vs baseline median 99.5, shift +149.5 (98% interval +139.5 to +159.5), means ×2.499',
    );
  });

  it('exits 2 on a marginal score', async () => {
    const metrics = ['a', 'b', 'c', 'd'].map((name, i) => ({
      name,
      direction: 'increase',
      canary: slower(i === 0 ? 1.5 : 1),
      baseline,
    }));
    const result = await runCli(
      ['judge', '-'],
      {},
      JSON.stringify({ metrics, pass: 95, marginal: 75 }),
    );
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      score: 75,
      result: 'Marginal',
      reason: 'score 75 is below pass 95 but reaches marginal 75 (a High)',
    });
  });

  it('exits 3 on invalid input, naming each field', async () => {
    const result = await runCli(
      ['judge', '-'],
      {},
      JSON.stringify({
        metrics: [{ name: 'x', direction: 'up', canary: [1], baseline: [1] }],
        pass: 101,
      }),
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'fledge judge: stdin is not a valid judge input, 2 problems:\n  pass: must be a number from 0 to 100; got 101\n  metrics[0].direction: must be one of increase, decrease, either; got "up"\n',
    );
  });

  it('exits 3 on text that is not JSON, a missing file and a missing argument', async () => {
    const notJson = await runCli(['judge', await inputFile('{"metrics": [')]);
    expect(notJson.code).toBe(3);
    expect(notJson.stderr).toMatch(/^fledge judge: .*input\.json is not JSON: /);
    const missing = await runCli(['judge', '/nonexistent/samples.json']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(
      /^fledge judge: cannot read \/nonexistent\/samples\.json: ENOENT/,
    );
    const noArgument = await runCli(['judge']);
    expect(noArgument.code).toBe(3);
    expect(noArgument.stderr).toContain("missing required argument 'file'");
  });

  it('exits 3 on input past 32 MiB without reading it all', async () => {
    const result = await runCli(['judge', '-'], {}, ' '.repeat(32 * 1024 * 1024 + 1));
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      'fledge judge: stdin is larger than 32 MiB; judge at most 100 metrics of 10,000 points per side\n',
    );
  });
});
