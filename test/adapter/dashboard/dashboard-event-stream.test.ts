import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream } from '../../../src/dashboard/event-stream.js';

let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** A server whose one stream is handed to the test, and a client that never reads. */
async function streamToStalledClient(maxBufferedBytes: number): Promise<EventStream> {
  let resolveOpened: (stream: EventStream) => void = () => {};
  const opened = new Promise<EventStream>((resolve) => {
    resolveOpened = resolve;
  });
  const listening = http.createServer((_request, response) =>
    resolveOpened(new EventStream(response, { maxBufferedBytes, heartbeatMs: 60_000 })),
  );
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;
  http
    .get({ host: '127.0.0.1', port, path: '/' }, (response) => response.pause())
    .on('error', () => {});
  return opened;
}

describe('EventStream', () => {
  it('disconnects a client that stops reading instead of buffering without bound', async () => {
    const stream = await streamToStalledClient(256 * 1024);
    const event = { text: 'x'.repeat(1024) };
    let sent = 0;
    // The kernel's socket buffers take some megabytes first; 64 MiB is far past them.
    while (sent < 64 * 1024 && stream.send('row', event)) {
      sent += 1;
      if (sent % 256 === 0) await nextTurn();
    }
    expect(stream.isClosed).toBe(true);
    expect(sent).toBeLessThan(64 * 1024);
    expect(stream.send('row', event)).toBe(false);
  });

  it('tells its listeners once when it closes', async () => {
    const stream = await streamToStalledClient(1024 * 1024);
    let closed = 0;
    stream.onClose(() => {
      closed += 1;
    });
    stream.close();
    stream.close();
    expect(closed).toBe(1);
    stream.onClose(() => {
      closed += 1;
    });
    expect(closed).toBe(2);
  });
});
