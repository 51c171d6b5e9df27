import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKubeconfig } from '../../../src/playground/kubeconfig.js';

describe('renderKubeconfig', () => {
  const east = { name: 'east', server: 'https://127.0.0.1:6443', token: 'east-token' };
  const west = { name: 'west', server: 'https://127.0.0.1:7443', token: 'west-token' };

  it('gives every cluster a context named after it, with its own server and token', () => {
    const config = parse(renderKubeconfig([east, west]));
    expect(config.contexts).toEqual([
      { name: 'east', context: { cluster: 'east', user: 'east', namespace: 'default' } },
      { name: 'west', context: { cluster: 'west', user: 'west', namespace: 'default' } },
    ]);
    expect(config.clusters[1].cluster.server).toBe('https://127.0.0.1:7443');
    expect(config.users[1].user.token).toBe('west-token');
  });

  it('makes the first cluster current unless told otherwise', () => {
    expect(parse(renderKubeconfig([east, west]))['current-context']).toBe('east');
    expect(parse(renderKubeconfig([east, west], 'west'))['current-context']).toBe('west');
  });

  it('refuses an empty cluster list', () => {
    expect(() => renderKubeconfig([])).toThrow(/at least one cluster/);
  });
});
