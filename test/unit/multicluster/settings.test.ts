import { describe, expect, it } from 'vitest';
import { meshProxyVariables } from '../../../src/playground/multicluster/index.js';
import { latencyFromEnv } from '../../../src/playground/multicluster/latency.js';

describe('latencyFromEnv', () => {
  it('reads FLEDGE_CROSS_CLUSTER_LATENCY_MS as milliseconds', () => {
    expect(latencyFromEnv({ FLEDGE_CROSS_CLUSTER_LATENCY_MS: '20' })).toBe(20);
  });

  it('is undefined when the variable is unset or empty', () => {
    expect(latencyFromEnv({})).toBeUndefined();
    expect(latencyFromEnv({ FLEDGE_CROSS_CLUSTER_LATENCY_MS: ' ' })).toBeUndefined();
  });

  it('rejects a value that is not a latency, naming the variable', () => {
    expect(() => latencyFromEnv({ FLEDGE_CROSS_CLUSTER_LATENCY_MS: '20ms' })).toThrow(
      /FLEDGE_CROSS_CLUSTER_LATENCY_MS="20ms" is not a number of milliseconds/,
    );
    expect(() => latencyFromEnv({ FLEDGE_CROSS_CLUSTER_LATENCY_MS: '-1' })).toThrow();
  });
});

describe('meshProxyVariables', () => {
  it('names each cluster’s proxy FLEDGE_MESH_PROXY_<CLUSTER>', () => {
    expect(
      meshProxyVariables([
        { name: 'east', meshProxy: 'http://127.0.0.1:1' },
        { name: 'us-west.2', meshProxy: 'http://127.0.0.1:2' },
      ]),
    ).toEqual({
      FLEDGE_MESH_PROXY_EAST: 'http://127.0.0.1:1',
      FLEDGE_MESH_PROXY_US_WEST_2: 'http://127.0.0.1:2',
    });
  });
});
