import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface ClusterCredentials {
  /** Bearer token of a system:masters user, for people, tests and the simulators. */
  adminToken: string;
  /** PEM keys the API server signs and verifies service-account tokens with. */
  serviceAccountPrivateKey: string;
  serviceAccountPublicKey: string;
}

export function generateCredentials(): ClusterCredentials {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    adminToken: randomBytes(24).toString('hex'),
    serviceAccountPrivateKey: privateKey,
    serviceAccountPublicKey: publicKey,
  };
}

/** The API server's --token-auth-file: token,user,uid,"groups". */
export function tokenAuthFile(adminToken: string): string {
  return `${adminToken},playground-admin,playground-admin,"system:masters"\n`;
}
