/**
 * Values a careless user or an attacker writes where a well-formed one belongs: wrong types,
 * boundary numbers, huge and exotic strings, and nesting deep enough to exhaust a recursive
 * reader's stack.
 */
import type { Random } from './random.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const BOUNDARY_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  1.5,
  99.999,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  2 ** 63,
  1e21,
  1e308,
  -1e308,
  5e-324,
];

const UNICODE_PIECES = [
  'é',
  'İ',
  'ß',
  '\u0000',
  '\u0007',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ud800',
  '\udfff',
  '🦩',
  '👩‍👩‍👧',
  'а',
  '漢字',
  'e\u0301',
  '\n',
  '\r\n',
  '\t',
  '"',
  "'",
  '\\',
  '{{',
  '}}',
  '$(id)',
  '`id`',
  '%00',
  '%2e%2e/',
  '../',
];

/** A string of exotic characters: control codes, lone surrogates, bidi marks, emoji. */
export function unicodeString(rng: Random): string {
  let text = '';
  const pieces = rng.int(1, 8);
  for (let i = 0; i < pieces; i++) {
    text += rng.chance(0.3) ? rng.pick(['a', 'z', '0', '-', '.']) : rng.pick(UNICODE_PIECES);
  }
  return text;
}

/** Lengths around the limits that matter: DNS labels, names, request and etcd sizes. */
const LENGTHS = [54, 55, 56, 63, 64, 253, 254, 1000, 4097, 65_537, 1 << 20, 3 << 20];

/** A long string, up to 3 MiB, mostly of one valid character so only its length is wrong. */
export function hugeString(rng: Random): string {
  const length = rng.pick(LENGTHS);
  return rng.chance(0.7) ? 'a'.repeat(length) : `${rng.pick(UNICODE_PIECES)}`.repeat(length);
}

const DEPTHS = [64, 65, 200, 1000, 5000, 20_000, 100_000];

/** Arrays or objects nested `depth` levels, built without recursion. */
export function deeplyNested(rng: Random, depth = rng.pick(DEPTHS)): Json {
  const objects = rng.chance(0.5);
  let value: Json = rng.chance(0.5) ? 'bottom' : 1;
  for (let i = 0; i < depth; i++) value = objects ? { a: value } : [value];
  return value;
}

/** A value of any JSON type, biased towards the odd ones. */
export function oddValue(rng: Random): Json {
  switch (rng.int(0, 9)) {
    case 0:
      return null;
    case 1:
      return rng.pick([true, false]);
    case 2:
    case 3:
      return rng.pick(BOUNDARY_NUMBERS);
    case 4:
      return rng.pick(['', ' ', '0', 'true', 'null', '-1', '1e3', '0x10', 'NaN']);
    case 5:
      return hugeString(rng);
    case 6:
      return unicodeString(rng);
    case 7:
      return rng.pick<Json>([[], {}, [1, 'a', null], { a: { b: [] } }]);
    case 8:
      return deeplyNested(rng);
    default:
      return Array.from({ length: rng.pick([2, 100, 10_000]) }, (_, i) => `item-${i}`);
  }
}

/**
 * A short, bounded description of a value for the report: it never recurses more than a few
 * levels, so describing a 100,000-deep value cannot overflow the stack.
 */
export function describeValue(value: unknown, depth = 0): string {
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > 40 ? value.slice(0, 40) : value);
    return value.length > 40 ? `${shown}... (${value.length} chars)` : shown;
  }
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (depth >= 2) return Array.isArray(value) ? '[...]' : '{...}';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 3).map((item) => describeValue(item, depth + 1));
    return `[${shown.join(', ')}${value.length > 3 ? `, ... (${value.length} items)` : ''}]`;
  }
  const entries = Object.entries(value);
  const shown = entries.slice(0, 3).map(([k, v]) => `${k}: ${describeValue(v, depth + 1)}`);
  return `{${shown.join(', ')}${entries.length > 3 ? ', ...' : ''}}`;
}

/** JSON text of any value, however deep, without recursion (JSON.stringify overflows). */
export function jsonText(value: Json): string {
  type Step = { text: string } | { value: Json };
  const out: string[] = [];
  const stack: Step[] = [{ value }];
  while (stack.length > 0) {
    const step = stack.pop() as Step;
    if ('text' in step) {
      out.push(step.text);
      continue;
    }
    const node = step.value;
    if (node === null || typeof node !== 'object') {
      out.push(JSON.stringify(node) ?? 'null');
      continue;
    }
    const entries: [string | undefined, Json][] = Array.isArray(node)
      ? node.map((child) => [undefined, child])
      : Object.entries(node);
    out.push(Array.isArray(node) ? '[' : '{');
    stack.push({ text: Array.isArray(node) ? ']' : '}' });
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string | undefined, Json];
      stack.push({ value: child });
      if (key !== undefined) stack.push({ text: `${JSON.stringify(key)}:` });
      if (i > 0) stack.push({ text: ',' });
    }
  }
  return out.join('');
}
