import http2 from 'node:http2';

export interface GrpcAnswer {
  /** HTTP status of the response (200 for any gRPC answer). */
  status: number;
  /** From the trailers, or the headers of a trailers-only answer; null when absent. */
  grpcStatus: number | null;
  /** The response headers (metadata), the pod's identity among them. */
  headers: http2.IncomingHttpHeaders;
}

export interface GrpcClient {
  /** One unary call with an empty message to `authority` (a Service's `<name>.<ns>:<port>`). */
  call(
    authority: string,
    options?: { path?: string; metadata?: Record<string, string>; timeoutMs?: number },
  ): Promise<GrpcAnswer>;
  close(): void;
}

/**
 * A gRPC client of the playground's mesh proxy, without a gRPC library: HTTP/2 with prior
 * knowledge, the Service as the authority, an empty message (length-prefixed, 5 bytes), as any
 * method's default request encodes.
 */
export function grpcClient(proxyUrl: string): GrpcClient {
  let session: http2.ClientHttp2Session | undefined;
  const open = () => {
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(proxyUrl);
      session.on('error', () => session?.destroy());
    }
    return session;
  };
  return {
    call(authority, { path = '/fledge.demo.Echo/Say', metadata = {}, timeoutMs = 10_000 } = {}) {
      return new Promise((resolve, reject) => {
        const stream = open().request({
          ':method': 'POST',
          ':path': path,
          ':authority': authority,
          'content-type': 'application/grpc',
          te: 'trailers',
          ...metadata,
        });
        stream.setTimeout(timeoutMs, () => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(new Error(`gRPC call to ${authority}${path} took longer than ${timeoutMs} ms`));
        });
        let headers: http2.IncomingHttpHeaders = {};
        let grpcStatus: number | null = null;
        stream.on('response', (received) => {
          headers = received;
          if (received['grpc-status'] !== undefined) grpcStatus = Number(received['grpc-status']);
        });
        stream.on('trailers', (trailers) => {
          if (trailers['grpc-status'] !== undefined) grpcStatus = Number(trailers['grpc-status']);
        });
        stream.on('error', reject);
        stream.resume();
        stream.on('end', () =>
          resolve({ status: Number(headers[':status'] ?? 0), grpcStatus, headers }),
        );
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    },
    close() {
      session?.close();
    },
  };
}
