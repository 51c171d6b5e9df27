import { Document } from 'yaml';
import {
  type AlertProviderConversion,
  alertProviderId,
  convertAlertProvider,
} from './alert-provider.js';
import { type CanaryConversion, type ConvertOptions, convertCanary } from './canary.js';
import { readFlaggerInput } from './documents.js';
import type { FlaggerCanary } from './flagger-types.js';
import { convertMetricTemplate, type TemplateConversion, templateId } from './metric-template.js';

export interface ConvertedFiles {
  /** The MetricTemplates, then the AlertProviders, then the Rollouts, as one YAML stream. */
  yaml: string;
  /** For stderr: every problem and every note, each with the file or Canary field it concerns. */
  messages: string[];
  /** Canaries that could not be converted, plus documents that could not be read. */
  failed: number;
  /** Canaries found in the input. */
  canaries: number;
  /** MetricTemplates found in the input. */
  templates: number;
  /** AlertProviders found in the input. */
  alertProviders: number;
}

function canaryId(canary: FlaggerCanary): string {
  const metadata = canary.metadata;
  const name = typeof metadata?.name === 'string' ? metadata.name : '(unnamed)';
  const namespace = typeof metadata?.namespace === 'string' ? `${metadata.namespace}/` : '';
  return `Canary ${namespace}${name}`.slice(0, 300);
}

/** What `fledge convert` does with its files, short of writing: pure, and it never throws. */
export function convertFlaggerFiles(
  sources: { name: string; text: string }[],
  options: ConvertOptions,
): ConvertedFiles {
  const input = readFlaggerInput(sources);
  const messages = input.problems.map((p) => `${p.path}: cannot be read: ${p.message}`);
  const documents: string[] = [];
  let failed = input.problems.length;
  /** Records a conversion's notes, and its problems when it failed. */
  const record = (
    id: string,
    result: TemplateConversion | AlertProviderConversion | CanaryConversion,
  ): void => {
    for (const note of result.notes) {
      messages.push(
        `${id}: ${note.path}: ${note.kind === 'dropped' ? 'not converted' : 'changed'}: ${note.message}`,
      );
    }
    if (result.ok) return;
    failed += 1;
    for (const problem of result.problems) {
      messages.push(`${id}: cannot be converted: ${problem.path}: ${problem.message}`);
    }
  };
  const write = (id: string, object: unknown) => {
    const document = new Document(object);
    document.commentBefore = ` Converted from Flagger ${id} by fledge convert`;
    documents.push(document.toString({ lineWidth: 0 }));
  };
  for (const template of input.templates) {
    const id = templateId(template);
    const result = convertMetricTemplate(template);
    record(id, result);
    if (result.ok && result.template) write(id, result.template);
  }
  for (const provider of input.alertProviders) {
    const id = alertProviderId(provider);
    const result = convertAlertProvider(provider);
    record(id, result);
    if (result.ok && result.provider) write(id, result.provider);
  }
  for (const canary of input.canaries) {
    const id = canaryId(canary);
    const result = convertCanary(canary, input.templates, options, input.alertProviders);
    record(id, result);
    if (result.ok) write(id, result.rollout);
  }
  return {
    yaml: documents.join('---\n'),
    messages,
    failed,
    canaries: input.canaries.length,
    templates: input.templates.length,
    alertProviders: input.alertProviders.length,
  };
}
