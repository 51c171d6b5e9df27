import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../../../fuzz/sync-runner.js';
import { formatTallies, type Tally } from '../../../fuzz/tally.js';
import { converterTarget } from '../../../fuzz/targets/converter.js';
import { runLoadtesterTarget } from '../../../fuzz/targets/loadtester.js';
import { runMetricsTarget } from '../../../fuzz/targets/metrics.js';
import { validatorTarget } from '../../../fuzz/targets/validator.js';
import { startLoadtester } from '../../../src/loadtester/server.js';

// The short, seeded form of `npm run fuzz`: a few hundred cases per target, in-process.
const SEED = 20_251_202;
const HANG_MS = 10_000;

/** The counts, with the examples in the failure message when there are any. */
function findings(tally: Tally) {
  return { counts: tally.counts, report: tally.failures === 0 ? [] : formatTallies([tally], SEED) };
}

const clean = { counts: { crash: 0, hang: 0, 'accepted-but-invalid': 0, unnamed: 0 }, report: [] };

describe(`fuzz, seed ${SEED}`, () => {
  it('the validator: 400 Rollouts', () => {
    const tally = runInProcess(validatorTarget, { seed: SEED, count: 400, hangMs: HANG_MS });
    expect(findings(tally)).toEqual(clean);
    expect(tally.accepted).toBeGreaterThan(0);
  }, 120_000);

  it('the converter: 200 Canaries', () => {
    const tally = runInProcess(converterTarget, { seed: SEED, count: 200, hangMs: HANG_MS });
    expect(findings(tally)).toEqual(clean);
    expect(tally.accepted).toBeGreaterThan(0);
  }, 120_000);

  it('the metrics adapter: 200 answers of a fake Prometheus', async () => {
    const tally = await runMetricsTarget(SEED, 200);
    expect(findings(tally)).toEqual(clean);
  }, 180_000);

  it('the loadtester: 100 requests over HTTP', async () => {
    const { tally } = await runLoadtesterTarget(SEED, 100, async () => {
      const loadtester = await startLoadtester({
        port: 0,
        allowHosts: [],
        logger: pino({ level: 'silent' }),
      });
      return {
        url: loadtester.url,
        alive: () => true,
        peakMiB: () => undefined,
        stop: () => loadtester.stop(),
      };
    });
    expect(findings(tally)).toEqual(clean);
  }, 300_000);
});
