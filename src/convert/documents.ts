import { LineCounter, parseAllDocuments } from 'yaml';
import { boundsProblems } from '../api/input-bounds.js';
import { isObject } from '../api/json.js';
import type {
  ConversionProblem,
  FlaggerAlertProvider,
  FlaggerCanary,
  FlaggerMetricTemplate,
} from './flagger-types.js';

export interface FlaggerInput {
  canaries: FlaggerCanary[];
  templates: FlaggerMetricTemplate[];
  alertProviders: FlaggerAlertProvider[];
  /** `Kind name` of every other document, which convert leaves alone. */
  ignored: string[];
  /** What could not be read at all, at `file:line` or `file, document N`. */
  problems: ConversionProblem[];
}

/**
 * A file larger than this is refused before it is read: a Canary is a few KiB, and the YAML
 * reader takes seconds per MiB of small items.
 */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

const isFlagger = (apiVersion: unknown) =>
  typeof apiVersion === 'string' && apiVersion.startsWith('flagger.app/');

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError) {
    return 'it nests too deeply to be read (no Canary nests more than a few levels)';
  }
  if (/alias/i.test(message)) {
    return `${message.split('\n')[0]}: it expands YAML aliases past the reader's limit of 100`;
  }
  return message.split('\n')[0] ?? message;
}

function sortDocument(input: FlaggerInput, item: unknown, at: string): void {
  if (!isObject(item)) {
    if (item !== null)
      input.problems.push({
        path: at,
        message: `is ${typeof item === 'string' ? 'a string' : Array.isArray(item) ? 'a list' : typeof item}, not a Kubernetes object`,
      });
    return;
  }
  const bounds = boundsProblems(item);
  if (bounds.length > 0) {
    const [first] = bounds;
    input.problems.push({ path: `${at}: ${first?.path}`, message: first?.message ?? '' });
    return;
  }
  if (isFlagger(item.apiVersion) && item.kind === 'Canary') {
    input.canaries.push(item as FlaggerCanary);
  } else if (isFlagger(item.apiVersion) && item.kind === 'MetricTemplate') {
    input.templates.push(item as FlaggerMetricTemplate);
  } else if (isFlagger(item.apiVersion) && item.kind === 'AlertProvider') {
    input.alertProviders.push(item as FlaggerAlertProvider);
  } else {
    const name =
      isObject(item.metadata) && typeof item.metadata.name === 'string' ? item.metadata.name : '';
    input.ignored.push(`${typeof item.kind === 'string' ? item.kind : 'document'} ${name}`.trim());
  }
}

/** JSON text (kubectl -o json) is read by V8's parser: it is YAML too, and read much faster. */
function asJson(text: string): { value: unknown } | undefined {
  if (!/^\s*[[{]/.test(text)) return undefined;
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** One document, or each item of a List. */
function sortDocuments(input: FlaggerInput, value: unknown, at: string): void {
  const items =
    isObject(value) && value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
  items.forEach((item, i) => {
    sortDocument(input, item, item !== value ? `${at}, items[${i}]` : at);
  });
}

/**
 * Sorts the documents of one or more YAML (or JSON) texts. It never throws: a syntax error,
 * an alias bomb, nesting too deep, a document that is no object, each is a problem that
 * names the source and, where the YAML reader knows it, the line.
 */
export function readFlaggerInput(sources: { name: string; text: string }[]): FlaggerInput {
  const input: FlaggerInput = {
    canaries: [],
    templates: [],
    alertProviders: [],
    ignored: [],
    problems: [],
  };
  for (const source of sources) {
    if (Buffer.byteLength(source.text) > MAX_SOURCE_BYTES) {
      input.problems.push({
        path: source.name,
        message: `is larger than ${MAX_SOURCE_BYTES / 1024 / 1024} MiB: give the Canaries, MetricTemplates and AlertProviders alone`,
      });
      continue;
    }
    const json = asJson(source.text);
    if (json !== undefined) {
      sortDocuments(input, json.value, source.name);
      continue;
    }
    let documents: ReturnType<typeof parseAllDocuments>;
    // Lines are counted once, rather than by the reader for each error (prettyErrors), which
    // costs seconds on a large file full of errors.
    const lines = new LineCounter();
    try {
      documents = parseAllDocuments(source.text, { lineCounter: lines, prettyErrors: false });
    } catch (error) {
      input.problems.push({
        path: source.name,
        message: `cannot be read as YAML: ${describeError(error)}`,
      });
      continue;
    }
    documents.forEach((document, index) => {
      const [error] = document.errors;
      if (error) {
        const line = lines.linePos(error.pos[0]).line;
        // The reader reports its own stack overflow on deep nesting as a syntax error.
        const tooDeep = /call stack/i.test(error.message);
        input.problems.push({
          path: `${source.name}${line ? `:${line}` : ''}`,
          message: tooDeep
            ? describeError(new RangeError())
            : `not valid YAML: ${error.message.split('\n')[0]}`,
        });
        return;
      }
      const at = documents.length > 1 ? `${source.name}, document ${index + 1}` : source.name;
      let value: unknown;
      try {
        value = document.toJSON();
      } catch (error) {
        input.problems.push({ path: at, message: `cannot be read: ${describeError(error)}` });
        return;
      }
      sortDocuments(input, value, at);
    });
  }
  return input;
}
