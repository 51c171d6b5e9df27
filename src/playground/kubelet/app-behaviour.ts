/** How a simulated pod's HTTP app behaves, read from its container's environment. */
export interface AppBehaviour {
  /** Fraction of requests answered with 500, 0..1 (`ERROR_RATE`). */
  errorRate: number;
  /** Added before each answer, in milliseconds (`LATENCY_MS`). */
  latencyMs: number;
}

export interface EnvVar {
  name: string;
  value?: string;
}

/** The behaviour and what was wrong with the environment (invalid values count as unset). */
export function behaviourFromEnv(env: EnvVar[] | undefined): {
  behaviour: AppBehaviour;
  problems: string[];
} {
  const problems: string[] = [];
  const read = (name: string, min: number, max: number): number => {
    const raw = env?.find((variable) => variable.name === name)?.value;
    if (raw === undefined || raw.trim() === '') return 0;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      problems.push(`${name}="${raw}" is not a number in ${min}..${max}; using 0`);
      return 0;
    }
    return value;
  };
  return {
    behaviour: { errorRate: read('ERROR_RATE', 0, 1), latencyMs: read('LATENCY_MS', 0, 600_000) },
    problems,
  };
}

/**
 * Decides which requests fail so that exactly `errorRate` of them do over any run, spread
 * evenly: deterministic, so metric tests can hold tight bounds.
 */
export class ErrorSpreader {
  private debt = 0;

  constructor(private readonly errorRate: number) {}

  nextFails(): boolean {
    this.debt += this.errorRate;
    if (this.debt >= 1 - 1e-9) {
      this.debt -= 1;
      return true;
    }
    return false;
  }
}

/** The version a pod reports: its image tag, or digest, or "latest". */
export function imageVersion(image: string): string {
  const [name = '', digest] = image.split('@');
  if (digest) return digest;
  const last = name.split('/').pop() ?? '';
  const colon = last.lastIndexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}
