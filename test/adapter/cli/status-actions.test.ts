import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RolloutObject } from '../../../src/cli/rollout-object.js';
import { useApiServer } from '../../support/apiserver.js';
import {
  finished,
  kubeconfigWithNamespace,
  repoRoot,
  runCli,
  startCli,
  untilOutput,
} from './cli-process.js';
import { clusterFixtures } from './cluster-fixtures.js';

const cluster = useApiServer(['rollout']);
const { rollouts, setStatus, createRollout, env } = clusterFixtures(cluster);
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'fledge-cli-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('fledge status', () => {
  it("lists the rollouts of the context's namespace as a table", async () => {
    const namespace = await cluster().createNamespace('status');
    await createRollout(namespace, 'api', {
      phase: 'Progressing',
      canaryWeight: 20,
      failedChecks: 1,
      currentRevision: 'abc',
      message: 'advancing',
    });
    const kubeconfig = await kubeconfigWithNamespace(
      cluster().kubeconfigPath,
      path.join(scratch, 'ns.yaml'),
      namespace,
    );
    const result = await runCli(['status', '--kubeconfig', kubeconfig]);
    expect(result.code).toBe(0);
    const [header, row] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+PHASE\s+WEIGHT\s+FAILED\s+REVISION\s+AGE\s+MESSAGE$/);
    expect(row).toMatch(/^api\s+Progressing\s+20%\s+1\/3\s+abc\s+\d+s\s+advancing$/);
  });

  it('adds the namespace column with -A and shows every namespace', async () => {
    const first = await cluster().createNamespace('all');
    const second = await cluster().createNamespace('all');
    await createRollout(first, 'one', { phase: 'Succeeded' });
    await createRollout(second, 'two', { phase: 'Failed' });
    const result = await runCli(['status', '-A'], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAMESPACE\s+NAME\s+PHASE/);
    expect(result.stdout).toMatch(new RegExp(`${first}\\s+one\\s+Succeeded`));
    expect(result.stdout).toMatch(new RegExp(`${second}\\s+two\\s+Failed`));
  });

  it('prints one rollout as JSON or YAML with -o, and several as a List', async () => {
    const namespace = await cluster().createNamespace('output');
    await createRollout(namespace, 'api', { phase: 'Succeeded', currentRevision: 'r1' });
    await createRollout(namespace, 'web');
    const json = await runCli(['status', 'api', '-n', namespace, '-o', 'json'], env());
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'Rollout',
      status: { phase: 'Succeeded' },
    });
    const yaml = await runCli(['status', '-n', namespace, '-o', 'yaml'], env());
    const list = parse(yaml.stdout) as { kind: string; items: RolloutObject[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((r) => r.metadata?.name)).toEqual(['api', 'web']);
  });

  it('says which rollout does not exist, and exits 1', async () => {
    const namespace = await cluster().createNamespace('missing');
    const result = await runCli(['status', 'nope', '-n', namespace], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`rollout ${namespace}/nope not found`);
  });

  it('refuses an unknown output format', async () => {
    const result = await runCli(['status', '-o', 'wide'], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/use one of json, yaml/);
  });

  it('prints a timestamped line per change with --watch when stdout is not a terminal', async () => {
    const namespace = await cluster().createNamespace('watch');
    await createRollout(namespace, 'api', {
      phase: 'Progressing',
      canaryWeight: 10,
      failedChecks: 0,
    });
    const child = startCli(['status', 'api', '-n', namespace, '--watch'], env());
    const result = finished(child);
    await untilOutput(child, /weight=10\/50/);
    await setStatus(namespace, 'api', { canaryWeight: 20 });
    await setStatus(namespace, 'api', { message: 'only the message changed' });
    await untilOutput(child, /weight=20\/50/);
    // Time for the message-only change to arrive, which must not print a line.
    await sleep(500);
    child.kill('SIGINT');
    const { code, stdout } = await result;
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^\\S+Z ${namespace}/api Progressing weight=10/50 failed=0/3`),
    );
    expect(lines[1]).toMatch(/weight=20\/50/);
  });

  it('runs as a kubectl plugin when bin/ is on PATH', async () => {
    const namespace = await cluster().createNamespace('plugin');
    await createRollout(namespace, 'api', { phase: 'Succeeded' });
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        'kubectl',
        ['fledge', 'status', '-n', namespace],
        {
          env: {
            ...process.env,
            ...env(),
            PATH: `${path.join(repoRoot, 'bin')}:${process.env.PATH}`,
          },
        },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    expect(stdout).toMatch(/^api\s+Succeeded/m);
  });
});

describe('fledge promote | abort | retry | pause | resume', () => {
  const annotationsOf = async (namespace: string, name: string) =>
    (await rollouts().get(namespace, name)).metadata?.annotations ?? {};

  it('refuses to promote a Succeeded rollout with exit 1 and leaves it alone', async () => {
    const namespace = await cluster().createNamespace('refuse');
    await createRollout(namespace, 'api', { phase: 'Succeeded' });
    const result = await runCli(['promote', 'api', '-n', namespace], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `promote: rollout ${namespace}/api is Succeeded; nothing to promote`,
    );
    expect(await annotationsOf(namespace, 'api')).toEqual({});
  });

  it('sets the promote annotation during an analysis and says what will happen', async () => {
    const namespace = await cluster().createNamespace('promote');
    await createRollout(namespace, 'api', { phase: 'Progressing', currentRevision: 'r2' });
    const result = await runCli(['promote', 'api', '-n', namespace], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('fledge promotes revision r2 now');
    expect(await annotationsOf(namespace, 'api')).toEqual({ 'fledge.dev/promote': 'true' });
  });

  it('aborts and retries through their annotations', async () => {
    const namespace = await cluster().createNamespace('abort');
    await createRollout(namespace, 'api', { phase: 'WaitingPromotion' });
    expect((await runCli(['abort', 'api', '-n', namespace], env())).code).toBe(0);
    await createRollout(namespace, 'web', { phase: 'Failed' });
    expect((await runCli(['retry', 'web', '-n', namespace], env())).code).toBe(0);
    expect(await annotationsOf(namespace, 'api')).toEqual({ 'fledge.dev/abort': 'true' });
    expect(await annotationsOf(namespace, 'web')).toEqual({ 'fledge.dev/retry': 'true' });
  });

  it('pauses by setting the annotation and resumes by removing it', async () => {
    const namespace = await cluster().createNamespace('pause');
    await createRollout(namespace, 'api', { phase: 'Progressing', canaryWeight: 30 });
    const paused = await runCli(['pause', 'api', '-n', namespace], env());
    expect(paused.stdout).toContain('holds the canary at weight 30%');
    expect(await annotationsOf(namespace, 'api')).toEqual({ 'fledge.dev/pause': 'true' });
    await setStatus(namespace, 'api', { phase: 'Paused' });
    const resumed = await runCli(['resume', 'api', '-n', namespace], env());
    expect(resumed.code).toBe(0);
    expect(await annotationsOf(namespace, 'api')).toEqual({});
  });

  it('refuses to retry a rollout that has not failed', async () => {
    const namespace = await cluster().createNamespace('retry');
    await createRollout(namespace, 'api', { phase: 'Progressing' });
    const result = await runCli(['retry', 'api', '-n', namespace], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/retry only applies to a Failed rollout/);
  });
});
