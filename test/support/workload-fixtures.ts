/**
 * The Rollout both workload tests act for: `api` in `prod`, targeting the Deployment `api`
 * and naming its Services after `api`. Each test keeps its own target Deployment, whose
 * labels, annotations and containers are what it asserts on.
 */
import type { V1OwnerReference } from '@kubernetes/client-node';
import { workloadNames } from '../../src/controller/workload/objects.js';

/** The owner reference every object made for the Rollout `api` carries. */
export const rolloutOwner: V1OwnerReference = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  name: 'api',
  uid: 'uid-1',
  controller: true,
  blockOwnerDeletion: true,
};

/** The Rollout `api` itself, as far as what is made for it reads it. */
export const apiRollout = {
  apiVersion: rolloutOwner.apiVersion,
  kind: rolloutOwner.kind,
  metadata: { name: rolloutOwner.name, namespace: 'prod', uid: rolloutOwner.uid },
};

export const apiNames = workloadNames('prod', 'api', 'api');
