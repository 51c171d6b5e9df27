/**
 * Reading an untrusted JSON document field by field: each bad field becomes a problem named by
 * its path, and reading goes on, so that one run reports every problem. Lists and numbers are
 * bounded by LIMITS.
 */

export interface InputProblem {
  /** As in `metrics[2].direction`. */
  field: string;
  message: string;
}

export const LIMITS = {
  metrics: 100,
  samplesPerSide: 10_000,
  nameLength: 100,
  groupsPerMetric: 20,
  /** Larger values are not measurements; the pairwise differences must stay finite. */
  magnitude: 1e15,
} as const;

export type Fields = Record<string, unknown>;

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects problems while reading fields, so that one run reports all of them. */
export class Reader {
  readonly problems: InputProblem[] = [];

  problem(field: string, message: string): undefined {
    this.problems.push({ field, message });
    return undefined;
  }

  unknownFields(object: Fields, known: readonly string[], at: string, what: string): void {
    for (const key of Object.keys(object)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
      this.problem(
        at ? `${at}.${key}` : key,
        `is not a field of ${what}; ${near ? `did you mean ${near}?` : `the fields are ${known.join(', ')}`}`,
      );
    }
  }

  number(
    value: unknown,
    field: string,
    fallback: number,
    valid: (n: number) => boolean,
    range: string,
  ): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
      return this.problem(field, `must be a number ${range}; got ${describe(value)}`) ?? fallback;
    }
    return value;
  }

  choice<T extends string>(value: unknown, field: string, choices: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      return (
        this.problem(field, `must be one of ${choices.join(', ')}; got ${describe(value)}`) ??
        fallback
      );
    }
    return value as T;
  }

  ratioPair(value: unknown, field: string): [number, number] {
    if (value === undefined) return [1, 1];
    const pair = value as unknown[];
    if (
      !Array.isArray(value) ||
      value.length !== 2 ||
      !value.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
      !((pair[0] as number) >= 0 && (pair[0] as number) <= 1 && (pair[1] as number) >= 1)
    ) {
      this.problem(
        field,
        `must be [low, high], ratios of the canary's mean to the baseline's with 0 <= low <= 1 <= high (as [0.9, 1.2]); got ${describe(value)}`,
      );
      return [1, 1];
    }
    return [pair[0] as number, pair[1] as number];
  }

  samples(value: unknown, field: string): (number | null)[] {
    if (!Array.isArray(value)) {
      return (
        this.problem(
          field,
          `must be a list of numbers (null for a missing point); got ${describe(value)}`,
        ) ?? []
      );
    }
    if (value.length > LIMITS.samplesPerSide) {
      return (
        this.problem(
          field,
          `has ${value.length} points; at most ${LIMITS.samplesPerSide} are judged`,
        ) ?? []
      );
    }
    const bad = value.findIndex(
      (v) => v !== null && !(typeof v === 'number' && Math.abs(v) <= LIMITS.magnitude),
    );
    if (bad >= 0) {
      return (
        this.problem(
          `${field}[${bad}]`,
          `must be a number within ±${LIMITS.magnitude} or null (a missing point); got ${describe(value[bad])}`,
        ) ?? []
      );
    }
    return value as (number | null)[];
  }
}
