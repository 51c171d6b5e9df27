import { describe, expect, it } from 'vitest';
import { convertProvider } from '../../../src/convert/routing.js';

describe('convertProvider', () => {
  it.each([
    ['linkerd', 'smi', 'split.smi-spec.io/v1alpha2'],
    ['smi:v1alpha1', 'smi', 'split.smi-spec.io/v1alpha1'],
    ['gatewayapi:v1beta1', 'gateway-api', 'gateway.networking.k8s.io/v1beta1'],
    ['gatewayapi:v1', 'gateway-api', 'gateway.networking.k8s.io/v1'],
  ])('maps %s to %s %s', (provider, routingProvider, apiVersion) => {
    expect(convertProvider(provider, undefined, undefined)).toEqual({
      ok: true,
      routing: { provider: routingProvider, apiVersion },
    });
  });

  it('refuses a provider that is not Linkerd routing', () => {
    expect(convertProvider('istio', undefined, undefined)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/provider istio is not a Linkerd routing/),
    });
  });

  it('uses the --provider fallback when the Canary has none', () => {
    expect(convertProvider(undefined, 'gatewayapi:v1', undefined)).toEqual({
      ok: true,
      routing: { provider: 'gateway-api', apiVersion: 'gateway.networking.k8s.io/v1' },
    });
  });

  it('infers Gateway API from gatewayRefs, and SMI otherwise, saying so', () => {
    expect(convertProvider(undefined, undefined, 'service.gatewayRefs')).toMatchObject({
      routing: { provider: 'gateway-api' },
      note: expect.stringMatching(/gatewayRefs imply/),
    });
    expect(convertProvider(undefined, undefined, undefined)).toMatchObject({
      routing: { provider: 'smi' },
      note: expect.stringMatching(/assumed linkerd/),
    });
  });
});
