import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ControllerTelemetry } from '../../../src/controller/telemetry.js';
import type { RequestTrace } from '../../../src/kube/api-server.js';
import { Turns } from '../../../src/kube/turns.js';

describe('ControllerTelemetry.requestObserver', () => {
  it('counts every request and times those that are not watches, by verb, resource and lane', async () => {
    const registry = new Registry();
    const telemetry = new ControllerTelemetry(registry);
    const observe = telemetry.requestObserver;
    const path = '/apis/split.smi-spec.io/v1alpha2/namespaces/prod/trafficsplits/api';
    const urgent = observe('PATCH', path, false, true) as RequestTrace;
    urgent.connected();
    urgent.ended();
    const routine = observe('GET', '/apis/apps/v1/namespaces/prod/deployments/api', false, false);
    (routine as RequestTrace).ended();
    expect(observe('GET', '/apis/apps/v1/deployments', true, false)).toBeUndefined();

    const text = await registry.metrics();
    expect(text).toContain('fledge_kube_requests_total{verb="watch",resource="deployments"} 1');
    expect(text).toContain(
      'fledge_kube_request_duration_seconds_count{verb="patch",resource="trafficsplits",lane="urgent"} 1',
    );
    expect(text).toContain(
      'fledge_kube_request_socket_wait_seconds_count{verb="get",resource="deployments",lane="routine"} 1',
    );
    expect(text).not.toContain('fledge_kube_request_duration_seconds_count{verb="watch"');
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
  });
});

describe('ControllerTelemetry initializations', () => {
  it('reports the turns initializations hold and wait for, as they are at the scrape', async () => {
    const registry = new Registry();
    const turns = new Turns(1);
    new ControllerTelemetry(registry, turns);
    await turns.take();
    void turns.take();
    void turns.take();
    const text = await registry.metrics();
    expect(text).toContain('fledge_initializations{state="writing"} 1');
    expect(text).toContain('fledge_initializations{state="waiting"} 2');
  });
});

describe('ControllerTelemetry phases', () => {
  const view = (phase: string) => ({
    namespace: 'prod',
    name: 'api',
    phase,
    canaryWeight: 0,
    failedChecks: 0,
    lastAnalysis: [],
  });
  const phaseLines = async (registry: Registry) =>
    (await registry.metrics())
      .split('\n')
      .filter((line) => line.startsWith('fledge_rollout_phase{'));

  it('keeps one series a Rollout, for the phase it is in, and none once forgotten', async () => {
    const registry = new Registry();
    const telemetry = new ControllerTelemetry(registry);
    telemetry.observe(view('Progressing'));
    telemetry.observe(view('Progressing'));
    expect(await phaseLines(registry)).toEqual([
      'fledge_rollout_phase{namespace="prod",name="api",phase="Progressing"} 1',
    ]);
    telemetry.observe(view('Failed'));
    expect(await phaseLines(registry)).toEqual([
      'fledge_rollout_phase{namespace="prod",name="api",phase="Failed"} 1',
    ]);
    telemetry.forget('prod', 'api');
    expect(await phaseLines(registry)).toEqual([]);
    telemetry.observe(view('Initializing'));
    expect(await phaseLines(registry)).toEqual([
      'fledge_rollout_phase{namespace="prod",name="api",phase="Initializing"} 1',
    ]);
  });
});

describe('ControllerTelemetry release queue', () => {
  it('counts the slots held and waited for at the scrape, not at a pass of the queue', async () => {
    // The pass now runs only while a release waits: a gauge it set would go stale.
    const registry = new Registry();
    let counts = { holding: 3, waiting: 1 };
    new ControllerTelemetry(registry, undefined, () => counts);

    expect(await registry.metrics()).toContain('fledge_release_queue{state="waiting"} 1');
    counts = { holding: 4, waiting: 0 };
    const text = await registry.metrics();
    expect(text).toContain('fledge_release_queue{state="holding"} 4');
    expect(text).toContain('fledge_release_queue{state="waiting"} 0');
  });
});
