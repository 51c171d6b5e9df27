import type { EventEmitter } from 'node:events';
import type http from 'node:http';
import net from 'node:net';

/** What an HTTP/2 client sends first without TLS (h2c with prior knowledge, as gRPC does). */
const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
/** A connection that sends nothing at all is closed after this. */
const FIRST_BYTES_MS = 30_000;

/**
 * One port for HTTP/1.1 and for h2c (gRPC): a TCP server that hands each connection to the
 * HTTP/1 or the HTTP/2 server by its first bytes. Node's servers take a socket through their
 * `connection` event, whoever accepted it.
 */
export function sniffingServer(http1: http.Server, http2: EventEmitter): net.Server {
  // As http.Server accepts: without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold
  // small writes back by up to 40 ms.
  const listener = net.createServer({ noDelay: true }, (socket) => {
    let head = Buffer.alloc(0);
    socket.setTimeout(FIRST_BYTES_MS, () => socket.destroy());
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1', 0, PREFACE.length);
      if (text.length < PREFACE.length && PREFACE.startsWith(text)) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      (text === PREFACE ? http2 : http1).emit('connection', socket);
      process.nextTick(() => socket.resume());
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  // The HTTP/1 server tracks its connections (closeIdleConnections, closeAllConnections) from
  // its `listening` event on, and stops its checks on close: it learns both from the listener.
  listener.on('listening', () => http1.emit('listening'));
  listener.on('close', () => http1.close());
  return listener;
}
