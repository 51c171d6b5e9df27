import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RolloutObject } from '../../src/cli/rollout-object.js';
import { startClusterDashboard } from '../../src/dashboard/in-cluster.js';
import type { Dashboard } from '../../src/dashboard/server.js';
import { ApiServer } from '../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../src/kube/resources.js';
import {
  createRolloutWithStatus,
  recordEvent,
  rolloutObject,
} from '../support/dashboard-fixtures.js';
import { serviceAccountUser } from '../support/dashboard-rbac.js';
import { openEvents } from '../support/dashboard-sse.js';
import { waitFor } from '../support/wait.js';
import { type ControllerProcess, startController } from './support/controller.js';
import { type Browser, openBrowser } from './support/dashboard-browser.js';
import { type DashboardProcess, startDashboardProcess } from './support/dashboard-process.js';
import { kubectl, kubectlApply } from './support/kubectl.js';
import {
  appManifest,
  createNamespace,
  rolloutManifest,
  waitForStatus,
  waitInitialized,
} from './support/rollout.js';
import { startTraffic, type Traffic } from './support/traffic.js';

/**
 * `fledge dashboard` in a real headless Chromium against the playground: a release followed
 * live in the list, timelines of a promoted and of a rolled-back release, a promotion through
 * the page, and the in-cluster mode's RBAC. Screenshots go to docs/images/.
 * The timelines read status.history as the controller writes it during real releases.
 */

const images = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/images');
const run = Date.now().toString(36);
const ns = {
  live: `dash-live-${run}`,
  manual: `dash-manual-${run}`,
  history: `dash-history-${run}`,
  fixtures: `dash-fixtures-${run}`,
  rbac: `dash-rbac-${run}`,
  bench: `dash-bench-${run}`,
};
let api: ApiServer;
let controller: ControllerProcess;
let dashboard: DashboardProcess;
let browser: Browser;
const traffic: Traffic[] = [];

beforeAll(async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('KUBECONFIG'));
  api = new ApiServer(kc);
  for (const namespace of Object.values(ns)) await createNamespace(namespace);
  controller = startController({ namespaces: [ns.live, ns.manual, ns.history] });
  await controller.url();
  await givenListFixtures();
  dashboard = await startDashboardProcess(['-A']);
  browser = await openBrowser();
  await mkdir(images, { recursive: true });
});

afterAll(async () => {
  await Promise.all(traffic.map((t) => t.stop()));
  await browser?.close();
  await dashboard?.stop();
  await controller?.kill();
  api?.close();
});

/** Given an initialized app and Rollout with traffic through the mesh. */
async function givenInitialized(
  namespace: string,
  promotion: 'auto' | 'manual',
  threshold = 10,
): Promise<string> {
  const name = 'podinfo';
  await kubectlApply(appManifest({ name, namespace }));
  // These tests are about the page, not the judgement: a loaded machine slows the demo app
  // and Prometheus, so latency and missing data get a wide margin here.
  await kubectlApply(
    rolloutManifest({ name, namespace, promotion, interval: '3s', threshold, p99Max: 10_000 }),
  );
  await waitInitialized(namespace, name);
  // Callers through the apex, and direct load on the canary as a load-test webhook would send.
  traffic.push(
    startTraffic(
      [`http://${name}.${namespace}:8080/`, `http://${name}-canary.${namespace}:8080/`],
      10,
    ),
  );
  return name;
}

interface ListFigures {
  loaded: number;
  snapshot: number;
  rendered: number;
  transferred: number;
  decoded: number;
}

/** Once the list is drawn: when the page loaded, the list arrived and was drawn, and the bytes. */
async function listFigures(page: Page): Promise<ListFigures> {
  await page.waitForSelector('body[data-list-ready]');
  // Browser code, as text: the test's TypeScript has no DOM types.
  return (await page.evaluate(`(() => {
    const mark = (name) => Math.round(performance.getEntriesByName(name)[0]?.startTime ?? -1);
    const [navigation] = performance.getEntriesByType('navigation');
    const files = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/api/'));
    return {
      loaded: Math.round(navigation.loadEventEnd),
      snapshot: mark('fledge:list-snapshot'),
      rendered: mark('fledge:list-rendered'),
      transferred: files.reduce((sum, r) => sum + r.transferSize, navigation.transferSize),
      decoded: files.reduce((sum, r) => sum + r.decodedBodySize, navigation.decodedBodySize),
    };
  })()`)) as ListFigures;
}

/** Rollouts under way in a namespace no controller watches, for the list's variety. */
async function givenListFixtures(): Promise<void> {
  await createRolloutWithStatus(api, rolloutObject(ns.fixtures, 'search'), {
    phase: 'WaitingPromotion',
    canaryWeight: 50,
    currentRevision: '3c4d5e6f',
    message: 'waiting for a promote at weight 50% (promotion: manual)',
  });
  await createRolloutWithStatus(api, rolloutObject(ns.fixtures, 'inventory'), {
    phase: 'Paused',
    canaryWeight: 30,
    failedChecks: 1,
    currentRevision: '9a8b7c6d',
    message: 'paused at weight 30%: paused by request; resume, promote or abort',
  });
}

const rowOf = (page: Page, key: string) => page.locator(`tr[data-key="${key}"]`);

async function openList(page: Page): Promise<void> {
  await page.goto(dashboard.url);
  await page.waitForSelector('body[data-list-ready]');
}

async function openTimeline(page: Page, namespace: string, name: string): Promise<void> {
  // The printed URL carries the session's token; the page keeps it for the views after.
  await openList(page);
  await page.goto(`${dashboard.origin}#/rollout/${namespace}/${name}`);
  await page.waitForSelector(`body[data-timeline-ready="${namespace}/${name}"]`);
  // uPlot draws on the next animation frame.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(resolve))');
}

describe('fledge dashboard', () => {
  it('shows a release progressing live in the list, without reloading', async () => {
    const name = await givenInitialized(ns.live, 'auto');
    const { page } = browser;
    await openList(page);
    await page.evaluate('window.notReloaded = true');
    const row = rowOf(page, `${ns.live}/${name}`);
    await row.waitFor();
    await kubectl(['-n', ns.live, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);

    const seen: string[] = [];
    let screenshot = false;
    await waitFor(
      'the row to show the release promoted',
      async () => {
        const phase = await row.locator('.phase').textContent();
        const weight = await row.locator('.weight').textContent();
        const state = `${phase} ${weight}`;
        if (seen.at(-1) !== state) seen.push(state);
        if (!screenshot && phase === 'Progressing' && Number.parseInt(weight ?? '', 10) >= 20) {
          screenshot = true;
          await page.screenshot({ path: path.join(images, 'dashboard-list.png') });
        }
        if (phase === 'Failed')
          throw new Error(`rolled back: ${await row.locator('.message').textContent()}`);
        return phase === 'Succeeded' ? true : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 100 },
    );
    const weights = new Set(
      seen.filter((s) => s.startsWith('Progressing')).map((s) => s.split(' ')[1]),
    );
    expect(weights.size, `states seen: ${seen.join(' | ')}`).toBeGreaterThanOrEqual(3);
    expect(screenshot).toBe(true);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
  });

  it('shows the failed points below the threshold and the rollback marker of a rolled-back release', async () => {
    const name = await givenInitialized(ns.history, 'auto', 3);
    await kubectl(['-n', ns.history, 'set', 'env', `deployment/${name}`, 'ERROR_RATE=0.3']);
    const failed = await waitForStatus(
      ns.history,
      name,
      'to roll back',
      (s) => s.phase === 'Failed',
      [],
      {
        timeoutMs: 150_000,
      },
    );
    const rollout = await new ResourceClient<RolloutObject>(api, knownTypes.rollouts).get(
      ns.history,
      name,
    );
    await recordEvent(api, rollout, {
      type: 'Warning',
      reason: 'RoutingDrift',
      message: `routing object ${ns.history}/${name} was changed by someone else; fledge set it back`,
      at: Date.now() - 5_000,
    });
    const { page } = browser;
    await openTimeline(page, ns.history, name);
    const failedPoints = page.locator(
      'table[data-metric="request-success-rate"] tr[data-passed="false"]',
    );
    await failedPoints.first().waitFor({ state: 'attached' });
    const values = (await failedPoints.locator('td:nth-child(2)').allTextContents())
      .map(Number)
      .filter((value) => Number.isFinite(value));
    expect(values.length, failed.message).toBeGreaterThanOrEqual(1);
    for (const value of values) expect(value).toBeLessThan(99);
    await expect(
      page.locator('[data-metric="request-success-rate"] canvas').count(),
    ).resolves.toBeGreaterThan(0);
    const rollback = page.locator('#markers li[data-kind="rollback"]');
    expect(await rollback.count()).toBe(1);
    expect(await rollback.textContent()).toMatch(/ThresholdReached.*rolled back revision/);
    await page.locator('#markers li[data-reason="RoutingDrift"]').waitFor({ state: 'attached' });
    await page.screenshot({
      path: path.join(images, 'dashboard-timeline-rolled-back.png'),
      fullPage: true,
    });

    // The release the first test followed, promoted.
    await openTimeline(page, ns.live, 'podinfo');
    expect(await page.locator('#markers li[data-kind="promotion"]').count()).toBeGreaterThanOrEqual(
      1,
    );
    await page.screenshot({
      path: path.join(images, 'dashboard-timeline-healthy.png'),
      fullPage: true,
    });
  });

  it('promotes a rollout waiting for promotion through the promote button, after confirmation', async () => {
    const name = await givenInitialized(ns.manual, 'manual');
    await kubectl(['-n', ns.manual, 'set', 'image', `deployment/${name}`, 'app=fledge/demo:2.0.0']);
    await waitForStatus(
      ns.manual,
      name,
      'to wait for promotion',
      (s) => s.phase === 'WaitingPromotion',
    );
    const { page } = browser;
    await openTimeline(page, ns.manual, name);
    await page.locator('#summary .phase', { hasText: 'WaitingPromotion' }).waitFor();
    expect(await page.locator('button[data-action="retry"]').getAttribute('aria-disabled')).toBe(
      'true',
    );
    // A refused action stays focusable, so a keyboard user can reach it and hear why.
    await page.locator('button[data-action="retry"]').focus();
    await page.keyboard.press('Enter');
    await page
      .locator('#action-result', { hasText: 'retry only applies to a Failed rollout' })
      .waitFor();

    // A live update between the press and the release of the mouse button (here: a Rollout
    // annotated meanwhile) must not swallow the click, as it did when it replaced the buttons.
    await page.locator('button[data-action="promote"]').hover();
    const rendered = page.evaluate(`new Promise((resolve) =>
      new MutationObserver(resolve).observe(document.getElementById('summary'), { childList: true }))`);
    await page.mouse.down();
    await kubectl(['-n', ns.manual, 'annotate', `rollout/${name}`, 'e2e/touched=1']);
    await rendered;
    await page.mouse.up();
    await page.locator('#confirm[open]').waitFor();
    await page.locator('#confirm-cancel').click();
    const rollouts = new ResourceClient<RolloutObject>(api, knownTypes.rollouts);
    expect(
      (await rollouts.get(ns.manual, name)).metadata?.annotations?.['fledge.dev/promote'],
    ).toBeUndefined();

    await page.locator('button[data-action="promote"]').click();
    expect(await page.locator('#confirm-text').textContent()).toMatch(/fledge promotes revision/);
    await page.locator('#confirm-go').click();
    await page.locator('#action-result', { hasText: 'promote: set fledge.dev/promote' }).waitFor();
    await page.locator('#summary .phase', { hasText: 'Succeeded' }).waitFor({ timeout: 120_000 });
    const done = await waitForStatus(ns.manual, name, 'to succeed', (s) => s.phase === 'Succeeded');
    expect(done.lastAction?.action).toBe('promote');
  });

  it('answers 403 in the in-cluster mode to a user without RBAC rights, for the data and the action', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(inject('KUBECONFIG'));
    await createRolloutWithStatus(api, rolloutObject(ns.rbac, 'api'), {
      phase: 'WaitingPromotion',
      canaryWeight: 50,
      currentRevision: 'abc',
    });
    const token = await serviceAccountUser(api, ns.rbac, 'nobody', []);
    const inCluster: Dashboard = await startClusterDashboard({
      kc,
      host: '127.0.0.1',
      port: 0,
      namespaces: [],
    });
    try {
      const { page } = browser;
      await page.goto(`${inCluster.url}?namespace=${ns.rbac}`);
      await page.locator('#token').fill(token);
      await page.locator('#login-go').click();
      const problem = page.locator('#list-problem');
      await problem.waitFor();
      expect(await problem.textContent()).toMatch(
        new RegExp(
          `system:serviceaccount:${ns.rbac}:nobody may not list rollouts in namespace ${ns.rbac}`,
        ),
      );
      const action = await page.evaluate(
        async ([namespace, bearer]) => {
          const response = await fetch(`/api/rollouts/${namespace}/api/actions/promote`, {
            method: 'POST',
            headers: { authorization: `Bearer ${bearer}` },
          });
          return { status: response.status, body: (await response.json()) as { message: string } };
        },
        [ns.rbac, token] as const,
      );
      expect(action.status).toBe(403);
      expect(action.body.message).toMatch(/may not patch rollout/);
      const timeline = await openEvents(
        new URL(`/api/rollouts/${ns.rbac}/api/timeline`, inCluster.url).toString(),
        token,
      );
      expect(timeline.status).toBe(403);
      const rollouts = new ResourceClient<RolloutObject>(api, knownTypes.rollouts);
      expect((await rollouts.get(ns.rbac, 'api')).metadata?.annotations ?? {}).toEqual({});
    } finally {
      await inCluster.close();
    }
  });

  it('lists 500 rollouts (prints page weight and time to first render)', async () => {
    const count = 500;
    const names = Array.from({ length: count }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
    const phases = ['Progressing', 'Succeeded', 'WaitingPromotion', 'Failed', 'Paused'] as const;
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(
        names.slice(i, i + 25).map((name, j) =>
          createRolloutWithStatus(api, rolloutObject(ns.bench, name), {
            phase: phases[(i + j) % phases.length],
            canaryWeight: ((i + j) % 6) * 10,
            failedChecks: (i + j) % 3,
            currentRevision: `rev${(i + j).toString(16)}`,
            message: `advanced to weight ${((i + j) % 6) * 10}%`,
          }),
        ),
      );
    }
    const bench = await startDashboardProcess(['-n', ns.bench]);
    const measured = await openBrowser();
    try {
      const { page } = measured;
      await page.goto(bench.url);
      const cold = await listFigures(page);
      expect(await page.locator('#rollouts tbody tr').count()).toBe(count);
      await page.reload();
      const warm = await listFigures(page);
      const stream = await openEvents(
        new URL('/api/rollouts', bench.origin).toString(),
        bench.token,
      );
      const snapshot = await stream.next((e) => e.type === 'snapshot');
      stream.close();
      const snapshotBytes = Buffer.byteLength(JSON.stringify(snapshot.data));
      const describe = (f: ListFigures) =>
        `first render ${f.rendered} ms after navigation (page loaded ${f.loaded} ms, list arrived ${f.snapshot} ms)`;
      console.log(
        `e2e figure: dashboard list of ${count} rollouts: page ${Math.round(cold.transferred / 1024)} KiB transferred gzipped (${Math.round(cold.decoded / 1024)} KiB decoded) plus the list's snapshot of ${Math.round(snapshotBytes / 1024)} KiB; first visit right after start: ${describe(cold)}; reload: ${describe(warm)}`,
      );
      expect(warm.rendered).toBeGreaterThan(0);
    } finally {
      await measured.close();
      await bench.stop();
    }
  });
});
