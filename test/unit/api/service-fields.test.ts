import { describe, expect, it } from 'vitest';
import { validateRollout } from '../../../src/api/validate.js';
import { backendRollout, problemsOf, workloadRollout } from './fixtures.js';

describe('spec.service: port name, port discovery and the Services’ metadata', () => {
  it('accepts them in workload mode, as Flagger has them', () => {
    const validation = validateRollout(
      workloadRollout({
        'spec.service.portName': 'http-web',
        'spec.service.portDiscovery': true,
        'spec.service.apex': {
          labels: { 'app.kubernetes.io/part-of': 'shop', tier: 'web' },
          annotations: { 'config.linkerd.io/opaque-ports': '4222', note: 'x'.repeat(32768) },
        },
        'spec.service.primary': { labels: { role: 'primary' } },
        'spec.service.canary': { annotations: {} },
      }),
    );
    expect(validation.ok ? [] : validation.problems).toEqual([]);
    expect(validation.ok && validation.rollout.spec.service.apex?.labels).toEqual({
      'app.kubernetes.io/part-of': 'shop',
      tier: 'web',
    });
  });

  it.each([
    ['spec.service.portName', 'HTTP', 'spec.service.portName'],
    ['spec.service.portName', '-http', 'spec.service.portName'],
    ['spec.service.portName', 'p'.repeat(64), 'spec.service.portName'],
    ['spec.service.portDiscovery', 'yes', 'spec.service.portDiscovery'],
    ['spec.service.apex', { labels: { tier: 'not a value' } }, 'spec.service.apex.labels.tier'],
    ['spec.service.apex', { labels: { tier: 'v'.repeat(64) } }, 'spec.service.apex.labels.tier'],
    ['spec.service.apex', { labels: { tier: 1 } }, 'spec.service.apex.labels.tier'],
    ['spec.service.apex', { labels: { tier: '' } }, 'spec.service.apex.labels.tier'],
    ['spec.service.canary', { annotations: { a: '' } }, 'spec.service.canary.annotations.a'],
    ['spec.service.primary', { labels: { 'bad key': 'x' } }, 'spec.service.primary.labels'],
    ['spec.service.canary', { annotations: { '-x': 'y' } }, 'spec.service.canary.annotations'],
    [
      'spec.service.canary',
      { annotations: { 'Upper.Case/x': 'y' } },
      'spec.service.canary.annotations',
    ],
    [
      'spec.service.canary',
      { annotations: { [`${'a'.repeat(64)}`]: 'y' } },
      'spec.service.canary.annotations',
    ],
    [
      'spec.service.apex',
      { annotations: { 'x.example/y': 'v'.repeat(32769) } },
      'spec.service.apex.annotations.x.example/y',
    ],
    [
      'spec.service.apex',
      { labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) },
      'spec.service.apex.labels',
    ],
    ['spec.service.apex', { owner: 'me' }, 'spec.service.apex.owner'],
  ])('refuses %s: %j at %s', (field, value, path) => {
    const problems = problemsOf(workloadRollout({ [field]: value }));
    expect(problems.map((p) => p.path)).toContain(path);
    for (const problem of problems) expect(problem.fix).not.toBe('');
  });

  it('refuses annotations past what one Service holds, counting keys and values', () => {
    const annotations = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`note-${i}`, 'v'.repeat(30000)]),
    );
    expect(problemsOf(workloadRollout({ 'spec.service.apex.annotations': annotations }))).toEqual([
      {
        path: 'spec.service.apex.annotations',
        message: expect.stringMatching(/^hold 150030 bytes, more than the 131072/),
        fix: 'shorten or remove annotations',
      },
    ]);
  });

  it.each([
    ['portName', 'http'],
    ['portDiscovery', true],
    ['apex', { labels: { tier: 'edge' } }],
    ['canary', {}],
  ])('refuses service.%s in backend mode, where fledge writes no Service', (field, value) => {
    expect(problemsOf(backendRollout({ [`spec.service.${field}`]: value }))).toEqual([
      {
        path: `spec.service.${field}`,
        message: expect.stringMatching(/no effect in backend mode/),
        fix: expect.stringMatching(`remove spec.service.${field}`),
      },
    ]);
  });
});
