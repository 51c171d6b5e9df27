/**
 * A Kubernetes label selector in its string form (`app=api,tier in (web,edge),!canary`), as a
 * metrics client sends it in `labelSelector`. Pure.
 */
type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' };

export type LabelSelector = (labels: Record<string, string> | undefined) => boolean;

/** Splits on the commas that are not inside a `( … )` value list. */
function clauses(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function requirement(clause: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(clause);
  if (set?.[1] && set[2] && set[3] !== undefined) {
    const values = set[3].split(',').map((value) => value.trim());
    return { key: set[1], op: set[2] as 'in' | 'notin', values };
  }
  const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(clause);
  if (equality?.[1] && equality[2]) {
    const values = [equality[3] ?? ''];
    return { key: equality[1], op: equality[2] === '!=' ? 'notin' : 'in', values };
  }
  const absent = /^!\s*(\S+)$/.exec(clause);
  if (absent?.[1]) return { key: absent[1], op: 'absent' };
  if (/^[^\s!=(),]+$/.test(clause)) return { key: clause, op: 'exists' };
  throw new Error(`label selector clause ${JSON.stringify(clause.slice(0, 100))} is not valid`);
}

/** Parses a selector; an empty one selects everything. Throws on a clause it cannot read. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  const requirements = clauses(text ?? '').map(requirement);
  return (labels = {}) =>
    requirements.every((req) => {
      const value = labels[req.key];
      switch (req.op) {
        case 'exists':
          return value !== undefined;
        case 'absent':
          return value === undefined;
        case 'in':
          return value !== undefined && req.values.includes(value);
        default:
          return value === undefined || !req.values.includes(value);
      }
    });
}
