/**
 * Mutations of a JSON document at random places: values from a field-aware vocabulary (the
 * boundary values of that field), hostile values of any type, deleted and unknown fields,
 * tweaked strings and numbers. Each mutation is described, so a finding can be read and replayed.
 */
import {
  BOUNDARY_NUMBERS,
  describeValue,
  hugeString,
  type Json,
  oddValue,
  unicodeString,
} from './hostile-values.js';
import type { Random } from './random.js';

/** Candidate values by field name (the last key of a path), e.g. `interval` -> durations. */
export type Vocabulary = Readonly<Record<string, readonly Json[]>>;

export interface Mutated {
  value: Json;
  mutations: string[];
}

type Path = (string | number)[];

const UNKNOWN_KEYS = ['foo', 'Name', 'INTERVAL', 'interval ', '__proto__', 'constructor', 'x-y'];

export function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key),
    '',
  );
}

/** Every place in the document, down to a bounded depth and breadth (inserted values can be huge). */
function placesOf(root: Json): Path[] {
  const places: Path[] = [];
  const stack: { node: Json; path: Path }[] = [{ node: root, path: [] }];
  while (stack.length > 0 && places.length < 2_000) {
    const { node, path } = stack.pop() as { node: Json; path: Path };
    places.push(path);
    if (path.length >= 10 || node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.slice(0, 20).forEach((child, i) => {
        stack.push({ node: child, path: [...path, i] });
      });
    } else {
      for (const [key, child] of Object.entries(node).slice(0, 50)) {
        stack.push({ node: child, path: [...path, key] });
      }
    }
  }
  return places;
}

function parentOf(root: Json, path: Path): Json {
  let node = root;
  for (const key of path.slice(0, -1)) {
    node = (node as Record<string | number, Json>)[key] as Json;
  }
  return node;
}

/** Sets an own property, even `__proto__`, as JSON.parse would. */
function setOwn(container: Json, key: string | number, value: Json): void {
  if (Array.isArray(container) && typeof key === 'number') container[key] = value;
  else {
    Object.defineProperty(container, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}

function tweakString(rng: Random, text: string): Json {
  switch (rng.int(0, 6)) {
    case 0:
      return text.toUpperCase();
    case 1:
      return `${text}${rng.pick(['.', '-', ' ', '\n', '_', '.x', 'é'])}`;
    case 2:
      return `${rng.pick(['.', '-', ' ', '0', 'Z'])}${text}`;
    case 3:
      return text.repeat(rng.pick([2, 8, 64, 5_000]));
    case 4:
      return `${text}${unicodeString(rng)}`;
    case 5:
      return text.slice(0, rng.int(0, text.length));
    default:
      return hugeString(rng);
  }
}

function tweakNumber(rng: Random, n: number): Json {
  return rng.pick([-n, n + 1, n - 1, n * 1000, n + 0.5, rng.pick(BOUNDARY_NUMBERS), String(n)]);
}

function replacement(
  rng: Random,
  key: string | number | undefined,
  current: Json,
  vocabulary: Vocabulary,
): Json {
  const known = typeof key === 'string' ? vocabulary[key] : undefined;
  const roll = rng.next();
  if (known && known.length > 0 && roll < 0.55) return structuredClone(rng.pick(known));
  if (typeof current === 'string' && roll < 0.75) return tweakString(rng, current);
  if (typeof current === 'number' && roll < 0.75) return tweakNumber(rng, current);
  return oddValue(rng);
}

function mutateOnce(rng: Random, root: Json, vocabulary: Vocabulary): { root: Json; text: string } {
  const places = placesOf(root);
  const path = rng.pick(places);
  if (path.length === 0) {
    const value = rng.chance(0.5) ? oddValue(rng) : root;
    return { root: value, text: `(whole document) := ${describeValue(value)}` };
  }
  const parent = parentOf(root, path);
  const key = path.at(-1) as string | number;
  const current = (parent as Record<string | number, Json>)[key] as Json;
  const at = pathText(path);
  const action = rng.int(0, 9);
  if (action === 0 && !Array.isArray(parent)) {
    delete (parent as Record<string, Json>)[key];
    return { root, text: `${at} deleted` };
  }
  if (action === 0 && Array.isArray(parent)) {
    parent.splice(key as number, 1);
    return { root, text: `${at} removed` };
  }
  if (action === 1 && current !== null && typeof current === 'object' && !Array.isArray(current)) {
    const name = rng.chance(0.7) ? rng.pick(UNKNOWN_KEYS) : unicodeString(rng);
    const value = rng.chance(0.5) ? oddValue(rng) : 'x';
    setOwn(current, name, value);
    return {
      root,
      text: `${pathText([...path, name])} := ${describeValue(value)} (unknown field)`,
    };
  }
  if (action === 2 && Array.isArray(current) && current.length > 0) {
    const copies = rng.pick([1, 2, 50, 5_000]);
    // The same item by reference: cloning a deeply nested one would overflow the fuzzer's stack.
    const item = current[0] as Json;
    for (let i = 0; i < copies; i++) current.push(item);
    return { root, text: `${at}: first item repeated ${copies} more times` };
  }
  const value = replacement(rng, key, current, vocabulary);
  setOwn(parent, key, value);
  return { root, text: `${at} := ${describeValue(value)}` };
}

/** A mutated deep copy of `seed`, with one to `max` mutations. */
export function mutate(rng: Random, seed: Json, vocabulary: Vocabulary, max = 4): Mutated {
  let root = structuredClone(seed);
  const mutations: string[] = [];
  const count = rng.int(1, max);
  for (let i = 0; i < count; i++) {
    const step = mutateOnce(rng, root, vocabulary);
    root = step.root;
    mutations.push(step.text);
  }
  return { value: root, mutations };
}

/**
 * A near-valid copy of `seed`: one to `max` fields that the vocabulary knows replaced by one
 * of their candidate values (boundary values, most of them valid), and nothing else changed.
 */
export function substitute(rng: Random, seed: Json, vocabulary: Vocabulary, max = 2): Mutated {
  const root = structuredClone(seed);
  const mutations: string[] = [];
  const count = rng.int(1, max);
  for (let i = 0; i < count; i++) {
    const known = placesOf(root).filter((path) => {
      const key = path.at(-1);
      return typeof key === 'string' && (vocabulary[key]?.length ?? 0) > 0;
    });
    if (known.length === 0) break;
    const path = rng.pick(known);
    const key = path.at(-1) as string;
    const value = structuredClone(rng.pick(vocabulary[key] as readonly Json[]));
    setOwn(parentOf(root, path), key, value);
    mutations.push(`${pathText(path)} := ${describeValue(value)}`);
  }
  return { value: root, mutations };
}
