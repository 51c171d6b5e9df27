/**
 * Every bound of the loadtester in one place: how big a request may be, and how much it holds
 * at once. Together they keep the process under its memory limit (256Mi in
 * deploy/loadtester.yaml) whatever the request rate: past a bound it answers 413 or 429.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Sizes of what a webhook may send. */
export const FIELD_LIMITS = {
  payloadBytes: 128 * KiB,
  /** A Kubernetes object name (DNS-1123 subdomain). */
  nameLength: 253,
  /** A Kubernetes namespace (DNS-1123 label). */
  namespaceLength: 63,
  phaseLength: 64,
  checksumLength: 256,
  metadataEntries: 32,
  metadataKeyLength: 253,
  urlLength: 2 * KiB,
  headersLength: 16 * KiB,
  headerCount: 64,
  bodyBytes: 64 * KiB,
  /** type, rps, connections, duration, method, blocking, maxErrorRate. */
  shortFieldLength: 64,
  maxRps: 10_000,
  maxConnections: 1_000,
  minDurationMs: 1_000,
  maxDurationMs: 3_600_000,
} as const;

/** What the loadtester holds at once. */
export const CAPACITY = {
  /** Open TCP connections; Node closes any beyond at once. */
  sockets: 512,
  /** Requests being read, parsed and checked at the same time. */
  busyRequests: 32,
  /** Blocking webhooks waiting for their run's summary. */
  waitingAnswers: 256,
  /** Load runs at the same time, background and blocking. */
  runs: 64,
  /** The estimated memory of all runs at once (see estimateLoadBytes). */
  loadMemoryBytes: 64 * MiB,
  /** Open gates and rollback gates, all rollouts together. */
  openGates: 10_000,
} as const;

/** Time bounds of one request. */
export const TIMEOUTS = {
  /**
   * Receiving a whole request, headers and body (128 KiB at most); the answer may take longer
   * (blocking runs). A client that sends slowly holds a reading slot no longer than this.
   */
  requestMs: 10_000,
  headersMs: 5_000,
  /** How often Node looks for requests past those times (its default is 30 s). */
  checkEveryMs: 1_000,
  /** Resolving a target's name through the cluster's DNS. */
  dnsMs: 5_000,
} as const;

/**
 * An upper bound on the memory one run holds: each connection keeps its own copies of the
 * request it sends (about four times its size), a socket and a parser. The loadtester-flood
 * benchmark measures two to five times less, which leaves room for the garbage of a flood.
 */
export function estimateLoadBytes(load: {
  connections: number;
  rps: number;
  requestBytes: number;
}): number {
  // autocannon opens no more connections than requests per second.
  const connections = Math.min(load.connections, load.rps);
  return 256 * KiB + connections * (64 * KiB + 4 * load.requestBytes);
}
