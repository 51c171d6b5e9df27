import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Who asks, once their bearer token is accepted. */
export interface User {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What a request wants to do, in the API server's terms (a SubjectAccessReview's attributes). */
export interface Access {
  verb: 'get' | 'list' | 'watch' | 'patch';
  /** Empty: every namespace. */
  namespace: string;
  name?: string;
}

export type Authentication = { ok: true; user: User } | { ok: false; message: string };

/**
 * How the dashboard decides who may see and act. Local mode: the one token printed at start,
 * and the kubeconfig's own rights at the API server. In-cluster mode: the cluster's
 * TokenReview and SubjectAccessReview, so RBAC decides.
 */
export interface Gatekeeper {
  readonly mode: 'local' | 'cluster';
  authenticate(token: string): Promise<Authentication>;
  /** null when allowed, else why not. */
  authorize(user: User, access: Access): Promise<string | null>;
}

/** The bearer token of a request, or undefined. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Local mode: one random token per run, in the URL the command prints. It keeps other users
 * of the machine and web pages in the browser from using the kubeconfig's rights through
 * the port; what the kubeconfig may do is then the API server's business.
 */
export class LocalGatekeeper implements Gatekeeper {
  readonly mode = 'local';
  readonly token: string;
  private readonly expected: Buffer;

  constructor(token = randomBytes(24).toString('base64url')) {
    this.token = token;
    this.expected = Buffer.from(token);
  }

  async authenticate(token: string): Promise<Authentication> {
    const given = Buffer.from(token);
    const ok = given.length === this.expected.length && timingSafeEqual(given, this.expected);
    return ok
      ? { ok: true, user: { name: 'kubeconfig', groups: [] } }
      : {
          ok: false,
          message:
            'the token does not match this run of `fledge dashboard`; open the URL it printed',
        };
  }

  async authorize(): Promise<string | null> {
    return null;
  }
}
