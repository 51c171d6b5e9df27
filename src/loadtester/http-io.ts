import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Reply {
  status: number;
  body: unknown;
  /** For a 429: when to try again. */
  retryAfterSeconds?: number;
  /** For a 401: the scheme to authenticate with. */
  authenticate?: string;
}

/** 429: a capacity is reached; `reason` says which and what to do. */
export function busy(reason: string): Reply {
  return {
    status: 429,
    body: { error: `the loadtester is busy: ${reason}` },
    retryAfterSeconds: 1,
  };
}

export type BodyRead = { ok: true; text: string } | { ok: false; reason: 'too large' | 'aborted' };

/**
 * Reads the request body up to `limitBytes`. Past the limit it stops reading and leaves the
 * connection to be closed after the answer, so that the client still gets its 413.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      req.pause();
      finish({ ok: false, reason: 'too large' });
    };
    const onEnd = () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
    const onClose = () => finish({ ok: false, reason: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  const text = `${JSON.stringify(reply.body)}\n`;
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(reply.retryAfterSeconds === undefined
      ? {}
      : { 'retry-after': String(reply.retryAfterSeconds) }),
    ...(reply.authenticate === undefined ? {} : { 'www-authenticate': reply.authenticate }),
  });
  res.end(text);
}
