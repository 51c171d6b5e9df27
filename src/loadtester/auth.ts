import { createHash, timingSafeEqual } from 'node:crypto';

/** The environment variable both the loadtester and the controller read the shared token from. */
export const TOKEN_ENV = 'FLEDGE_LOADTESTER_TOKEN';

const MIN_TOKEN_LENGTH = 16;

/** Why a configured token is unusable, or undefined when it is fine. */
export function tokenProblem(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) {
    return `is ${token.length} characters long: use at least ${MIN_TOKEN_LENGTH}, e.g. the output of openssl rand -hex 32`;
  }
  // Printable ASCII without spaces: it must pass through an HTTP header unchanged.
  if (!/^[!-~]+$/.test(token)) {
    return 'has spaces or characters other than printable ASCII: use e.g. openssl rand -hex 32';
  }
  return undefined;
}

/**
 * Whether a request's `Authorization` header carries the shared token as `Bearer <token>`.
 * Digests of both are compared with timingSafeEqual, so the time taken depends neither on
 * how much of the token was right nor on its length. Without a token, every request passes.
 */
export function tokenCheck(
  token: string | undefined,
): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1] ?? '';
    return timingSafeEqual(digest(presented), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
