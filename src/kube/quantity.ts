/** Kubernetes quantity suffixes: decimal SI and binary. */
const scales: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * A Kubernetes quantity ("900m", "1", "1.5k", "2e3", "1Ki") or a plain number, as a number;
 * null when it is neither. SMI v1alpha1 TrafficSplit weights are quantities.
 */
export function parseQuantity(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?([a-zA-Z]*)$/.exec(value.trim());
  if (!match) return null;
  const [, digits = '', exponent, suffix = ''] = match;
  const scale = scales[suffix];
  if (scale === undefined || (exponent !== undefined && suffix !== '')) return null;
  return Number(digits) * 10 ** Number(exponent ?? 0) * scale;
}
