import { parseAllDocuments } from 'yaml';
import type { FlaggerCanary, FlaggerMetricTemplate } from './flagger-types.js';

export interface FlaggerInput {
  canaries: FlaggerCanary[];
  templates: FlaggerMetricTemplate[];
  /** `Kind name` of every other document, which convert leaves alone. */
  ignored: string[];
}

const isFlagger = (apiVersion: unknown) =>
  typeof apiVersion === 'string' && apiVersion.startsWith('flagger.app/');

/** Sorts the documents of one or more YAML (or JSON) texts; a syntax error names the source and line. */
export function readFlaggerInput(sources: { name: string; text: string }[]): FlaggerInput {
  const input: FlaggerInput = { canaries: [], templates: [], ignored: [] };
  for (const source of sources) {
    for (const document of parseAllDocuments(source.text)) {
      const [error] = document.errors;
      if (error) {
        const line = error.linePos?.[0]?.line;
        throw new Error(
          `${source.name}${line ? `:${line}` : ''}: not valid YAML: ${error.message.split('\n')[0]}`,
        );
      }
      const value = document.toJSON() as Record<string, unknown> | null;
      if (value === null || typeof value !== 'object') continue;
      const items = value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
      for (const item of items as Record<string, unknown>[]) {
        if (isFlagger(item.apiVersion) && item.kind === 'Canary')
          input.canaries.push(item as FlaggerCanary);
        else if (isFlagger(item.apiVersion) && item.kind === 'MetricTemplate') {
          input.templates.push(item as FlaggerMetricTemplate);
        } else {
          const name = (item.metadata as { name?: string } | undefined)?.name ?? '';
          input.ignored.push(`${String(item.kind ?? 'document')} ${name}`.trim());
        }
      }
    }
  }
  return input;
}
