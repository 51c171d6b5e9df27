import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSettings } from '../../../src/alerts/message.js';
import { type ProviderType, renderers } from '../../../src/alerts/providers/index.js';
import { sendAlert } from '../../../src/alerts/send.js';
import { type ConnectProxy, startConnectProxy } from '../../support/connect-proxy.js';
import { close, startReceiver } from '../../support/receiver.js';
import { message } from '../../unit/alerts/fixtures.js';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  receiver = await startReceiver({
    '/hooks/ok': (_req, res) => res.writeHead(200).end('ok'),
    '/services/T0/B0/secret': (_req, res) => res.writeHead(200).end('ok'),
    '/api/webhooks/1/abc': (_req, res) => res.writeHead(204).end(),
    '/api/webhooks/1/abc/slack': (_req, res) => res.writeHead(200).end('ok'),
    '/workflows/abc': (_req, res) => res.writeHead(202).end(),
    '/v1/spaces/AAA/messages': (_req, res) => res.writeHead(200).end('{}'),
    '/hooks/revoked': (_req, res) =>
      res.writeHead(404).end('invalid_token: xoxb-the-secret-the-service-leaked'),
  });
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks/slow`;
});

afterAll(async () => {
  await close(receiver?.server);
  await close(silent);
});

beforeEach(() => {
  receiver.received.length = 0;
});

const settingsAt = (path: string): ProviderSettings => ({
  address: `${receiver.base}${path}`,
  channel: 'releases',
  username: 'fledge',
});

describe('each provider’s body, posted to a local receiver', () => {
  it.each<[ProviderType, string, string]>([
    ['slack', '/services/T0/B0/secret', 'attachments'],
    ['discord', '/api/webhooks/1/abc', 'embeds'],
    ['discord', '/api/webhooks/1/abc/slack', 'attachments'],
    ['rocket', '/hooks/ok', 'attachments'],
    ['msteams', '/workflows/abc', 'attachments'],
    ['gchat', '/v1/spaces/AAA/messages?key=k&token=t', 'cardsV2'],
    ['generic', '/hooks/ok', 'reason'],
  ])('%s at %s arrives as JSON, exactly as rendered', async (type, path, key) => {
    const rendered = renderers[type](message, settingsAt(path));
    const delivery = await sendAlert(rendered);
    expect(delivery).toMatchObject({ ok: true });
    expect(delivery.message).toMatch(new RegExp(`^${receiver.base} answered 20[024]`));
    const [entry] = receiver.received;
    expect(entry?.method).toBe('POST');
    expect(entry?.url).toBe(path);
    expect(entry?.headers['content-type']).toBe('application/json');
    expect(entry?.headers.authorization).toBeUndefined();
    expect(entry?.body).toEqual(rendered.body);
    expect(entry?.body).toHaveProperty(key);
  });
});

describe('sendAlert', () => {
  it('sends a token as a bearer token', async () => {
    await sendAlert({ url: `${receiver.base}/hooks/ok`, body: {}, token: 's3cret' });
    expect(receiver.received[0]?.headers.authorization).toBe('Bearer s3cret');
  });

  it('keeps only the status of a refusal, never the service’s words or the URL’s secret path', async () => {
    const delivery = await sendAlert({ url: `${receiver.base}/hooks/revoked`, body: {} });
    expect(delivery).toEqual({
      ok: false,
      status: 404,
      message: `${receiver.base} answered 404 Not Found`,
    });
  });

  it('gives up on a service that does not answer within the timeout', async () => {
    const delivery = await sendAlert({ url: silentUrl, body: {} }, { timeoutMs: 300 });
    expect(delivery).toEqual({
      ok: false,
      message: `${new URL(silentUrl).origin} did not answer within 0.3s`,
    });
  });

  it('refuses a body over the size bound without sending it', async () => {
    const delivery = await sendAlert(
      { url: `${receiver.base}/hooks/ok`, body: { text: 'x'.repeat(2000) } },
      { maxBytes: 1024 },
    );
    expect(delivery.ok).toBe(false);
    expect(delivery.message).toMatch(/is 2\d{3} bytes, over the 1024 bytes a chat service takes$/);
    expect(receiver.received).toEqual([]);
  });

  it('says when nothing listens', async () => {
    const delivery = await sendAlert({ url: 'http://127.0.0.1:9/hooks', body: {} });
    expect(delivery).toEqual({
      ok: false,
      message: 'http://127.0.0.1:9 refused the connection (ECONNREFUSED)',
    });
  });
});

describe('sendAlert through a proxy', () => {
  let proxy: ConnectProxy;
  let proxyUrl: string;
  let tunnels: string[];

  beforeAll(async () => {
    proxy = await startConnectProxy();
    tunnels = proxy.tunnels;
    proxyUrl = proxy.url.replace('http://', 'http://user:pw@');
  });

  afterAll(() => proxy.close());

  it('tunnels with CONNECT, with the proxy’s credentials, and names the proxy without them', async () => {
    const delivery = await sendAlert({
      url: `${receiver.base}/hooks/ok`,
      body: { text: 'through' },
      proxy: proxyUrl,
    });
    const proxyHost = new URL(proxyUrl).host;
    expect(delivery).toEqual({
      ok: true,
      status: 200,
      message: `${receiver.base} through the proxy ${proxyHost} answered 200 OK`,
    });
    expect(tunnels).toEqual([
      `CONNECT ${new URL(receiver.base).host} Basic ${Buffer.from('user:pw').toString('base64')}`,
    ]);
    expect(receiver.received[0]?.body).toEqual({ text: 'through' });
  });
});
