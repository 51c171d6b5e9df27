import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatObjects } from '../../../src/cli/output.js';
import { rollout } from './fixtures.js';

describe('formatObjects', () => {
  const withManaged = rollout({ phase: 'Succeeded' }, {
    managedFields: [{ manager: 'kubectl' }],
  } as never);

  it('prints one named rollout as itself, without managedFields', () => {
    const printed = JSON.parse(formatObjects([withManaged], 'json', true));
    expect(printed.kind).toBe('Rollout');
    expect(printed.metadata.managedFields).toBeUndefined();
    expect(printed.status.phase).toBe('Succeeded');
  });

  it('prints a listing as a v1 List, as kubectl get -o yaml does', () => {
    const printed = parse(formatObjects([withManaged, withManaged], 'yaml', false));
    expect(printed).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(printed.items).toHaveLength(2);
  });

  it('prints an empty listing as an empty List', () => {
    expect(parse(formatObjects([], 'yaml', false)).items).toEqual([]);
  });
});
