import type https from 'node:https';

/** The TLS options a connection is dialled with, taken from a request's filled options. */
const dialledWith = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'servername',
  'rejectUnauthorized',
] as const satisfies readonly (keyof https.RequestOptions)[];

type DialOption = (typeof dialledWith)[number];

/** Who a connection dials as: a pool or session made with one identity serves only it. */
export type TlsIdentity = Partial<Pick<https.RequestOptions, DialOption>>;

export function identityOf(options: https.RequestOptions): TlsIdentity {
  const identity: TlsIdentity = {};
  for (const option of dialledWith) {
    if (options[option] !== undefined) Object.assign(identity, { [option]: options[option] });
  }
  return identity;
}

/**
 * By content: client-node's legacy path reads the PEM files into new Buffers per request,
 * and a renewed client certificate (an exec plugin's) must dial anew.
 */
export function sameIdentity(a: TlsIdentity, b: TlsIdentity): boolean {
  return dialledWith.every((option) => sameOption(a[option], b[option]));
}

function sameOption(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameOption(item, b[i]));
  }
  return false;
}
