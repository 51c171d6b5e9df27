/** One thing wrong with a Rollout, phrased for the person who has to fix it. */
export interface Problem {
  /** The field, as in `spec.analysis.stepWeight` or `spec.analysis.metrics[0].interval`. */
  path: string;
  message: string;
  fix: string;
}

/**
 * All problems in one line, each named by its field, for the `Invalid` condition, an Event
 * or a command's error output.
 */
export function formatProblems(problems: readonly Problem[], resource?: string): string {
  const subject = resource === undefined ? 'the Rollout' : `Rollout ${resource}`;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const listed = problems.map((p) => `${p.path}: ${p.message} (fix: ${p.fix})`).join('; ');
  return `${subject} is invalid, ${count}: ${listed}`;
}

/** `/spec/analysis/metrics/0/name` -> `spec.analysis.metrics[0].name`. */
export function fieldPath(pointer: string, ...more: string[]): string {
  const parts = [...pointer.split('/').slice(1).map(unescapePointer), ...more];
  return parts.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  );
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}
