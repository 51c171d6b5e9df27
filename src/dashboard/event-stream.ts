import type { ServerResponse } from 'node:http';

export interface EventStreamOptions {
  /** A client that has not read this much yet is cut off; it reconnects and gets a snapshot. */
  maxBufferedBytes: number;
  /** A comment this often keeps proxies from closing an idle stream and finds dead clients. */
  heartbeatMs: number;
}

/**
 * One server-sent-events response. Writes never queue without bound: a client too slow to
 * read is disconnected instead, and the page reconnects and starts from a fresh snapshot.
 */
export class EventStream {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly response: ServerResponse,
    private readonly options: EventStreamOptions,
  ) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.flushHeaders();
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), options.heartbeatMs);
    response.on('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one event; false when the stream is closed (or just was, for being too slow). */
  send(event: string, data: unknown): boolean {
    return this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.response.end();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private write(text: string): boolean {
    if (this.closed) return false;
    if (this.response.writableLength + Buffer.byteLength(text) > this.options.maxBufferedBytes) {
      this.response.destroy();
      this.close();
      return false;
    }
    this.response.write(text);
    return true;
  }
}
