import { describe, expect, it } from 'vitest';
import {
  isKeptFor,
  keptChange,
  keptFor,
  rolloutOf,
} from '../../../src/controller/workload/kept.js';
import { apiRollout, rolloutOwner } from '../../support/workload-fixtures.js';

const marked = { metadata: { name: 'api-primary', annotations: keptFor(apiRollout) } };
const owned = { metadata: { name: 'api-primary', ownerReferences: [rolloutOwner] } };
const flaggers = {
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  name: 'api',
  uid: 'uid-f',
};

describe('what is kept for a Rollout', () => {
  it('belongs to the Rollout of the uid, marked or owned by an older fledge', () => {
    expect(isKeptFor(marked, 'uid-1')).toBe(true);
    expect(isKeptFor(owned, 'uid-1')).toBe(true);
    expect(isKeptFor(marked, 'uid-2')).toBe(false);
    expect(isKeptFor({ metadata: {} }, 'uid-1')).toBe(false);
    expect(isKeptFor(null, 'uid-1')).toBe(false);
  });

  it('names its Rollout, marked or owned', () => {
    expect(rolloutOf(marked)).toBe('api');
    expect(rolloutOf(owned)).toBe('api');
    expect(rolloutOf({ metadata: { ownerReferences: [flaggers] } })).toBeUndefined();
  });

  it('changes nothing on an object already marked', () => {
    expect(keptChange(marked, apiRollout)).toBeUndefined();
  });

  it("marks an owned object and takes the Rollout's ownerReference off, keeping others'", () => {
    expect(keptChange(owned, apiRollout)).toEqual({
      ownerReferences: null,
      annotations: keptFor(apiRollout),
    });
    const both = { metadata: { ...marked.metadata, ownerReferences: [rolloutOwner, flaggers] } };
    expect(keptChange(both, apiRollout)).toEqual({ ownerReferences: [flaggers] });
  });

  it('marks for the Rollout of the name now, not one deleted before it', () => {
    const again = { ...apiRollout, metadata: { ...apiRollout.metadata, uid: 'uid-2' } };
    expect(keptChange(marked, again)).toEqual({ annotations: keptFor(again) });
  });
});
