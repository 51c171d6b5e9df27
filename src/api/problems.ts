/** One thing wrong with a Rollout, phrased for the person who has to fix it. */
export interface Problem {
  /** The field, as in `spec.analysis.stepWeight` or `spec.analysis.metrics[0].interval`. */
  path: string;
  message: string;
  fix: string;
}

/** A condition's message or an Event lists this many problems, each cut to SHOWN_CHARS. */
const SHOWN_PROBLEMS = 10;
const SHOWN_CHARS = 300;

function cut(text: string): string {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS - 3)}...` : text;
}

/**
 * All problems in one line, each named by its field, for the `Invalid` condition, an Event
 * or a command's error output. Bounded whatever the input: the first 10 problems, each cut to
 * 300 characters (a field's name comes from the input and may be long), then how many more.
 */
export function formatProblems(problems: readonly Problem[], resource?: string): string {
  const subject = resource === undefined ? 'the Rollout' : `Rollout ${resource}`;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const listed = problems
    .slice(0, SHOWN_PROBLEMS)
    .map((p) => cut(`${p.path}: ${p.message} (fix: ${p.fix})`))
    .join('; ');
  const more = problems.length - SHOWN_PROBLEMS;
  return `${subject} is invalid, ${count}: ${listed}${more > 0 ? `; and ${more} more` : ''}`;
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

/**
 * A value as a problem quotes it: JSON, cut to 40 characters. Never throws, and reads no more
 * of a value than it shows, so quoting a huge or deeply nested value costs nothing.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = jsonPrefix(value, 41);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

type Step = { text: string } | { value: unknown };

/** The first `limit` characters of a value's JSON text, written without recursion. */
function jsonPrefix(value: unknown, limit: number): string {
  let out = '';
  const stack: Step[] = [{ value }];
  while (stack.length > 0 && out.length < limit) {
    const step = stack.pop() as Step;
    if ('text' in step) {
      out += step.text;
      continue;
    }
    const node = step.value;
    if (typeof node === 'string') out += JSON.stringify(node.slice(0, limit));
    else if (typeof node === 'number') out += Number.isFinite(node) ? String(node) : 'null';
    else if (node === null || typeof node === 'boolean') out += String(node);
    else if (typeof node !== 'object') out += `(a ${typeof node})`;
    else {
      const array = Array.isArray(node);
      const entries: [string | undefined, unknown][] = array
        ? node.slice(0, limit).map((child) => [undefined, child])
        : Object.entries(node).slice(0, limit);
      out += array ? '[' : '{';
      stack.push({ text: array ? ']' : '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string | undefined, unknown];
        stack.push({ value: child });
        if (key !== undefined) stack.push({ text: `${JSON.stringify(key.slice(0, limit))}:` });
        if (i > 0) stack.push({ text: ',' });
      }
    }
  }
  return out;
}
