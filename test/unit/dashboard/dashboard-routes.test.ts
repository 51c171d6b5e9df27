import { describe, expect, it } from 'vitest';
import { routeOf } from '../../../src/dashboard/routes.js';

describe('routeOf', () => {
  it.each([
    ['GET', '/', { kind: 'asset', path: '/' }],
    ['GET', '/app.js?v=1', { kind: 'asset', path: '/app.js' }],
    ['GET', '/api/rollouts', { kind: 'list', namespace: '' }],
    ['GET', '/api/rollouts?namespace=team-a', { kind: 'list', namespace: 'team-a' }],
    [
      'GET',
      '/api/rollouts/prod/api/timeline',
      { kind: 'timeline', namespace: 'prod', name: 'api' },
    ],
    [
      'POST',
      '/api/rollouts/prod/api/actions/promote',
      { kind: 'action', namespace: 'prod', name: 'api', action: 'promote' },
    ],
  ])('%s %s', (method, url, route) => {
    expect(routeOf(method, url)).toEqual(route);
  });

  it.each([
    ['POST', '/', 405],
    ['GET', '/api/things', 404],
    ['POST', '/api/rollouts', 405],
    ['GET', '/api/rollouts?namespace=Not_Valid', 400],
    ['GET', '/api/rollouts/prod', 400],
    ['GET', '/api/rollouts/prod/API/timeline', 400],
    ['GET', '/api/rollouts/prod/api/%E0%A4%A', 400],
    ['POST', '/api/rollouts/prod/api/timeline', 405],
    ['GET', '/api/rollouts/prod/api/actions/promote', 405],
    ['POST', '/api/rollouts/prod/api/actions/delete', 404],
    ['POST', '/api/rollouts/prod/api/actions/promote/now', 404],
    ['GET', '/api/rollouts/prod/api/history', 404],
  ])('%s %s is refused with %i', (method, url, status) => {
    const route = routeOf(method, url);
    expect(route.kind).toBe('invalid');
    expect(route.kind === 'invalid' && route.status).toBe(status);
    expect(route.kind === 'invalid' && route.message).not.toBe('');
  });
});
