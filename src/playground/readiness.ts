import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChildProcessHandle, logTail } from './child-process.js';

export interface HttpProbe {
  url: string;
  token?: string;
}

/** One GET; resolves with the status code and body, never throws for HTTP errors. */
export function httpGet(
  probe: HttpProbe,
  timeoutMs = 2_000,
): Promise<{ status: number; body: string }> {
  const url = new URL(probe.url);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(
      url,
      {
        headers: probe.token ? { Authorization: `Bearer ${probe.token}` } : {},
        // The API server's certificate is self-signed at start and it only listens on loopback.
        rejectUnauthorized: false,
        timeout: timeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
}

/**
 * Polls a health endpoint until it answers 200. Gives up early when the process exits, and
 * either way the error quotes the end of the process's log, where the cause usually is.
 */
export async function waitForHttpReady(
  process: ChildProcessHandle,
  probe: HttpProbe,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | string | undefined;
  void process.exited.then((status) => {
    exited = status;
  });
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new NotReadyError(
        `${process.name} exited (${exited}) before it was ready; the end of ${process.logFile}:\n${await logTail(process.logFile)}`,
      );
    }
    try {
      const { status, body } = await httpGet(probe);
      if (status === 200) return;
      lastProblem = `${probe.url} answered ${status}: ${body.slice(0, 300)}`;
    } catch (error) {
      lastProblem = `${probe.url}: ${(error as Error).message}`;
    }
    await sleep(100);
  }
  throw new NotReadyError(
    `${process.name} was not ready within ${timeoutMs / 1000} s (${lastProblem}); the end of ${process.logFile}:\n${await logTail(process.logFile)}`,
  );
}

/** Waits like waitForHttpReady, and stops the process when it never gets ready. */
export async function readyOrStopped(
  process: ChildProcessHandle,
  probe: HttpProbe,
  timeoutMs?: number,
): Promise<void> {
  try {
    await waitForHttpReady(process, probe, timeoutMs);
  } catch (error) {
    await process.stop();
    throw error;
  }
}
