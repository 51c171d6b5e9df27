/**
 * Regular expressions as Linkerd's proxy reads them in route matches: the Rust `regex` crate's
 * syntax, and a match only when the leftmost match spans the whole value (linkerd2-proxy's
 * header and path matchers). fledge checks users' patterns against it and the playground's
 * mesh matches with it.
 */

/** What the Rust regex crate refuses that a JavaScript RegExp would take. */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'look-around ((?=, (?!, (?<=, (?<!)'],
  [/\\[1-9]|\\k</, 'back-references (\\1, \\k<name>)'],
];

/** Inline flags at the start, as Rust writes them (`(?i)`); JavaScript takes them as flags. */
const LEADING_FLAGS = /^\(\?([ims]+)\)/;

/** Why Linkerd would refuse `pattern`, or null when it takes it. */
export function linkerdRegexProblem(pattern: string): string | null {
  for (const [syntax, name] of UNSUPPORTED) {
    if (syntax.test(pattern)) return `uses ${name}, which Linkerd's regular expressions lack`;
  }
  try {
    compileLinkerdRegex(pattern);
    return null;
  } catch (error) {
    return `is not a regular expression: ${(error as Error).message}`;
  }
}

/** The pattern as a JavaScript RegExp; throws a SyntaxError on a pattern that does not compile. */
export function compileLinkerdRegex(pattern: string): RegExp {
  const flags = LEADING_FLAGS.exec(pattern);
  return flags ? new RegExp(pattern.slice(flags[0].length), flags[1]) : new RegExp(pattern);
}

/** Linkerd's rule: the leftmost match must start at 0 and end at the value's end. */
export function matchesWhole(regex: RegExp, value: string): boolean {
  const found = regex.exec(value);
  return found !== null && found.index === 0 && found[0].length === value.length;
}

/**
 * `text` as a pattern that matches exactly it: the Rust crate's meta characters escaped, each
 * of which JavaScript also reads as itself once escaped.
 */
export function escapeRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$#&~-]/g, '\\$&');
}
