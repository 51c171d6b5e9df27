import { createHash } from 'node:crypto';
import { GROUP, PLURAL } from '../api/types.js';
import { type ApiServer, KubeApiError } from '../kube/api-server.js';
import type { Access, Authentication, Gatekeeper, User } from './auth.js';
import { clip } from './markers.js';
import { TtlCache } from './ttl-cache.js';

export interface ClusterGatekeeperOptions {
  /** How long an answer of the API server is reused; RBAC changes show after at most this. */
  cacheMs?: number;
  /** Distinct tokens and (user, access) pairs remembered. */
  cacheEntries?: number;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

interface AccessReviewStatus {
  allowed?: boolean;
  reason?: string;
  evaluationError?: string;
}

/**
 * In-cluster mode: a request's bearer token is checked with a TokenReview, and every read and
 * action with a SubjectAccessReview for that user on rollouts.fledge.dev, so the cluster's
 * RBAC decides who sees and who acts. The dashboard then reads and patches with the
 * controller's own service account, which needs create on tokenreviews and
 * subjectaccessreviews.
 */
export class ClusterGatekeeper implements Gatekeeper {
  readonly mode = 'cluster';
  private readonly users: TtlCache<User>;
  private readonly decisions: TtlCache<string | null>;

  constructor(
    private readonly api: ApiServer,
    options: ClusterGatekeeperOptions = {},
  ) {
    const ttl = options.cacheMs ?? 10_000;
    const entries = options.cacheEntries ?? 1024;
    this.users = new TtlCache(entries, ttl);
    this.decisions = new TtlCache(entries, ttl);
  }

  async authenticate(token: string): Promise<Authentication> {
    const key = createHash('sha256').update(token).digest('hex');
    const known = this.users.get(key);
    if (known) return { ok: true, user: known };
    const review = await this.review<TokenReviewStatus>('authentication.k8s.io', 'tokenreviews', {
      token,
    });
    if (!review.authenticated || !review.user?.username) {
      return {
        ok: false,
        message: `the API server did not accept the token${review.error ? ` (${clip(review.error, 200)})` : ''}; use a current token, e.g. from \`kubectl create token NAME\``,
      };
    }
    const user: User = {
      name: review.user.username,
      ...(review.user.uid ? { uid: review.user.uid } : {}),
      groups: review.user.groups ?? [],
      ...(review.user.extra ? { extra: review.user.extra } : {}),
    };
    this.users.set(key, user);
    return { ok: true, user };
  }

  async authorize(user: User, access: Access): Promise<string | null> {
    const key = JSON.stringify([user.name, user.uid, user.groups, access]);
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    const review = await this.review<AccessReviewStatus>(
      'authorization.k8s.io',
      'subjectaccessreviews',
      {
        user: user.name,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: user.groups,
        ...(user.extra ? { extra: user.extra } : {}),
        resourceAttributes: {
          group: GROUP,
          resource: PLURAL,
          verb: access.verb,
          ...(access.namespace ? { namespace: access.namespace } : {}),
          ...(access.name ? { name: access.name } : {}),
        },
      },
    );
    const decision = review.allowed ? null : denial(user, access, review);
    this.decisions.set(key, decision);
    return decision;
  }

  private async review<S>(group: string, plural: string, spec: unknown): Promise<S> {
    try {
      const answer = await this.api.request<{ status?: S }>('POST', `/apis/${group}/v1/${plural}`, {
        body: { apiVersion: `${group}/v1`, kind: kindOf(plural), spec },
        timeoutMs: 10_000,
      });
      return answer.status ?? ({} as S);
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 403) {
        throw new Error(
          `the dashboard may not create ${plural}.${group}: give the controller's service account create on it (deploy/ has the ClusterRole)`,
        );
      }
      throw error;
    }
  }
}

function kindOf(plural: string): string {
  return plural === 'tokenreviews' ? 'TokenReview' : 'SubjectAccessReview';
}

function denial(user: User, access: Access, review: AccessReviewStatus): string {
  const where = access.namespace ? `in namespace ${access.namespace}` : 'in every namespace';
  const what = access.name ? `rollout ${access.namespace}/${access.name}` : `rollouts ${where}`;
  const why = review.reason || review.evaluationError;
  return `user ${user.name} may not ${access.verb} ${what} (RBAC${why ? `: ${clip(why, 200)}` : ''}); ask for a Role that grants ${access.verb} on ${PLURAL}.${GROUP}`;
}
