import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDemoStory } from '../../src/demo/story.js';
import { renderSummary } from '../../src/demo/summary.js';
import { createView } from '../../src/demo/view.js';
import { ApiServer } from '../../src/kube/api-server.js';
import { LOADTESTER_URL } from '../../src/playground/fledge-services.js';
import { type ControllerProcess, startController } from './support/controller.js';

/**
 * `fledge demo`'s story on the shared e2e playground, in a namespace of its own, with a
 * controller of its own: what the demo prints and whether it calls the story a success.
 */

const namespace = `demo-${Date.now().toString(36)}`;
let controller: ControllerProcess;

beforeAll(async () => {
  controller = startController({ namespaces: [namespace] });
  await controller.url();
});

afterAll(async () => {
  await controller?.kill();
});

describe('the demo story', () => {
  it('promotes the healthy release step by step and rolls back the faulty one on its success rate', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(inject('KUBECONFIG'));
    const api = new ApiServer(kc);
    let printed = '';
    const view = createView({ write: (text: string) => (printed += text) });
    const report = await runDemoStory({ api, namespace, loadtesterUrl: LOADTESTER_URL, view });
    api.close();

    expect(report.verdict, renderSummary(report.acts).join('\n')).toEqual({ ok: true });
    const [healthy, faulty] = report.acts;
    expect(healthy?.weights).toEqual([10, 20, 30, 40, 50]);
    // Only a first check before the loadtester's first samples may fail, for want of data.
    const healthyFailures = healthy?.failedChecks.flatMap((c) => c.metrics) ?? [];
    expect(healthyFailures.filter((m) => m.value !== undefined && m.value !== null)).toEqual([]);
    expect(faulty?.failedChecks.map((c) => c.count)).toEqual([1, 2, 3]);
    for (const check of faulty?.failedChecks ?? []) {
      expect(check.metrics.map((m) => m.metric)).toEqual(['request-success-rate']);
      expect(check.metrics[0]?.value).toBeLessThan(99);
    }
    expect(printed).toMatch(/healthy release: fledge\/demo:2\.0\.0/);
    expect(printed).toMatch(new RegExp(`${namespace}/podinfo Succeeded weight=0/50`));
    expect(printed).toMatch(new RegExp(`${namespace}/podinfo Failed weight=0/50 failed=3/3`));
    console.log(
      `e2e figure: demo story ${(((healthy?.durationMs ?? 0) + (faulty?.durationMs ?? 0)) / 1000).toFixed(1)} s of releases (healthy ${healthy?.durationMs} ms, faulty ${faulty?.durationMs} ms)`,
    );
  });
});
