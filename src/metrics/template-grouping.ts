/**
 * The grouped form of a user's query template, pure, for the templates whose only variables
 * are the rollout's identity: `{{ namespace }}`, one of `{{ target }}` or `{{ service }}`, and
 * `{{ interval }}`. Only a small part of PromQL is accepted, the part where adding the
 * identity labels to every aggregation keeps each rollout's series exactly what its own query
 * returns: selectors that each match the identity by `label="{{ var }}"` (or `=~`), the
 * functions rate, irate, increase and histogram_quantile, the aggregations sum, avg, min, max
 * and count (with or without `by`), numbers, parentheses and + - * /. Anything else (offset,
 * on/ignoring, without, comparisons, subqueries, other functions) is asked alone.
 */
import { PLACEHOLDER } from './templates.js';

const MARKER = { namespace: '__fledge_group_namespace__', name: '__fledge_group_name__' };
const FUNCTIONS = new Set(['rate', 'irate', 'increase', 'histogram_quantile']);
const AGGREGATIONS = new Set(['sum', 'avg', 'min', 'max', 'count']);
const OPERATORS = new Set(['+', '-', '*', '/']);

type Token =
  | { kind: 'string'; text: string; value: string }
  | { kind: 'word' | 'number' | 'punct'; text: string };

const TOKEN =
  /\s+|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_:]*)|([0-9][0-9.]*[eE][+-][0-9]+|[0-9][0-9A-Za-z.]*)|(=~|!=|!~|[(){}[\],=+\-*/])/y;

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const match = TOKEN.exec(text);
    if (!match) return undefined;
    const [whole, string, word, number, punct] = match;
    if (string !== undefined) {
      // The markers are plain words, so a string that holds one needs no unescaping to be told.
      tokens.push({ kind: 'string', text: string, value: string.slice(1, -1) });
    } else if (word !== undefined) tokens.push({ kind: 'word', text: word });
    else if (number !== undefined) tokens.push({ kind: 'number', text: number });
    else if (punct !== undefined) tokens.push({ kind: 'punct', text: punct });
    else if (whole.trim() !== '') return undefined;
  }
  return tokens;
}

/** What a template's grouped form needs: its tokens, and the labels naming the workload. */
export interface TemplateGrouping {
  /** Which variable names the workload besides the namespace. */
  nameVariable: 'target' | 'service';
  labels: readonly [string, string];
  render(alternations: { namespaces: string; names: string }): string;
}

/** The index of the parenthesis that closes the one at `open`. */
function closing(tokens: readonly Token[], open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i]?.kind === 'punct' ? tokens[i]?.text : undefined;
    if (text === '(') depth += 1;
    if (text === ')') depth -= 1;
    if (depth === 0) return i;
  }
  return undefined;
}

/** The selector's matchers from `{` at `open`: identity ones recorded, the rest checked. */
function readSelector(
  tokens: readonly Token[],
  open: number,
  found: { namespace?: string; name?: string },
): { end: number; identity: number[] } | undefined {
  const identity: number[] = [];
  let seen = { namespace: false, name: false };
  let i = open + 1;
  for (;;) {
    const [label, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (label?.kind !== 'word' || op?.kind !== 'punct' || value?.kind !== 'string')
      return undefined;
    const which =
      value.value === MARKER.namespace
        ? 'namespace'
        : value.value === MARKER.name
          ? 'name'
          : undefined;
    if (which) {
      if ((op.text !== '=' && op.text !== '=~') || seen[which]) return undefined;
      if (found[which] !== undefined && found[which] !== label.text) return undefined;
      found[which] = label.text;
      seen = { ...seen, [which]: true };
      identity.push(i);
    } else if (value.value.includes(MARKER.namespace) || value.value.includes(MARKER.name)) {
      return undefined;
    }
    const next = tokens[i + 3];
    if (next?.text === '}') {
      return seen.namespace && seen.name ? { end: i + 3, identity } : undefined;
    }
    if (next?.text !== ',') return undefined;
    i += 4;
  }
}

/**
 * The grouped form of `template` (interval already known), or undefined when it must be
 * asked alone.
 */
export function templateGrouping(template: string, interval: string): TemplateGrouping | undefined {
  const names = new Set([...template.matchAll(PLACEHOLDER)].map(([, name]) => (name ?? '').trim()));
  const nameVariable = names.has('target') ? 'target' : 'service';
  const allowed = new Set(['namespace', nameVariable, 'interval']);
  if (!names.has('namespace') || !names.has(nameVariable)) return undefined;
  if ([...names].some((name) => !allowed.has(name))) return undefined;
  if (template.includes(MARKER.namespace) || template.includes(MARKER.name)) return undefined;
  const rendered = template.replace(PLACEHOLDER, (_, raw: string) => {
    const name = raw.trim();
    return name === 'namespace' ? MARKER.namespace : name === 'interval' ? interval : MARKER.name;
  });
  const tokens = tokenize(rendered);
  if (!tokens) return undefined;
  const found: { namespace?: string; name?: string } = {};
  const identity: number[] = [];
  /** The `by (...)` lists: where each ends (its `)`), to add the identity labels to. */
  const byLists: { end: number; labels: Set<string> }[] = [];
  /** After which `)` an aggregation without `by` gets one. */
  const byAfter: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const next = tokens[i + 1];
    if (token.kind === 'string') return undefined;
    if (token.kind === 'word') {
      if (next?.text === '{') {
        const selector = readSelector(tokens, i + 1, found);
        if (!selector) return undefined;
        identity.push(...selector.identity);
        i = selector.end;
        continue;
      }
      if (AGGREGATIONS.has(token.text)) {
        if (next?.text === 'by') continue;
        if (next?.text !== '(') return undefined;
        const end = closing(tokens, i + 1);
        if (end === undefined) return undefined;
        if (tokens[end + 1]?.text !== 'by') byAfter.push(end);
        continue;
      }
      if (token.text === 'by') {
        if (next?.text !== '(') return undefined;
        const end = closing(tokens, i + 1);
        if (end === undefined) return undefined;
        const listed = tokens.slice(i + 2, end);
        if (!listed.every((t) => t.kind === 'word' || t.text === ',')) return undefined;
        byLists.push({ end, labels: new Set(listed.map((t) => t.text)) });
        i = end;
        continue;
      }
      if (FUNCTIONS.has(token.text) && next?.text === '(') continue;
      return undefined;
    }
    if (token.kind === 'punct') {
      if (token.text === '[') {
        if (tokens[i + 1]?.kind !== 'number' || tokens[i + 2]?.text !== ']') return undefined;
        i += 2;
        continue;
      }
      if (!['(', ')', ','].includes(token.text) && !OPERATORS.has(token.text)) return undefined;
    }
  }
  const { namespace: namespaceLabel, name: nameLabel } = found;
  if (namespaceLabel === undefined || nameLabel === undefined || namespaceLabel === nameLabel) {
    return undefined;
  }
  const labels = [namespaceLabel, nameLabel] as const;
  return {
    nameVariable,
    labels,
    render: ({ namespaces, names: workloads }) => {
      const out = tokens.map((token) => token.text);
      for (const at of identity) {
        const value = (tokens[at + 2] as Token & { kind: 'string' }).value;
        out[at + 1] = '=~';
        out[at + 2] = `"${value === MARKER.namespace ? namespaces : workloads}"`;
      }
      for (const { end, labels: listed } of byLists) {
        const extra = labels.filter((label) => !listed.has(label));
        const empty = tokens[end - 1]?.text === '(';
        if (extra.length > 0) out[end] = `${empty ? '' : ', '}${extra.join(', ')})`;
      }
      for (const end of byAfter) out[end] = `) by (${labels.join(', ')})`;
      // Spaced only where two words or numbers would merge, and around operators.
      return out
        .map((text, i) => {
          const [before, token] = [tokens[i - 1], tokens[i] as Token];
          const spaced =
            before !== undefined &&
            ((before.kind !== 'punct' && before.kind !== 'string' && token.kind !== 'punct') ||
              (before.text === ')' && token.kind === 'word') ||
              OPERATORS.has(before.text) ||
              OPERATORS.has(token.text));
          return spaced ? ` ${text}` : text;
        })
        .join('');
    },
  };
}
