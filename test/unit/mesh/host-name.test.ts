import { describe, expect, it } from 'vitest';
import { canonicalAuthority, parseServiceHost } from '../../../src/playground/mesh/host-name.js';

describe('parseServiceHost', () => {
  it.each([
    ['api.production', 'api', 'production'],
    ['api.production.svc', 'api', 'production'],
    ['api.production.svc.cluster.local', 'api', 'production'],
    ['api.production.svc.cluster.local.', 'api', 'production'],
    ['API.Production', 'api', 'production'],
    ['api', 'api', 'from-header'],
  ])('reads %s as Service %s in namespace %s', (host, service, namespace) => {
    expect(parseServiceHost(host, 8080, 'from-header')).toEqual({ service, namespace, port: 8080 });
  });

  it.each([
    '127.0.0.1',
    'example.com.evil',
    'api.production.svc.other.domain',
    'api.production.cluster',
    'bad_name.production',
    '',
  ])('refuses %s', (host) => {
    expect(parseServiceHost(host, 80, 'default')).toBeNull();
  });

  it('accepts another cluster domain when told', () => {
    expect(parseServiceHost('api.prod.svc.west.local', 80, 'default', 'west.local')).toEqual({
      service: 'api',
      namespace: 'prod',
      port: 80,
    });
  });
});

describe('canonicalAuthority', () => {
  it('is the fully qualified name with the port, as Linkerd labels authority', () => {
    expect(canonicalAuthority({ service: 'api', namespace: 'prod', port: 8080 })).toBe(
      'api.prod.svc.cluster.local:8080',
    );
  });
});
