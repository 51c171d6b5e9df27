/**
 * Hands out pod addresses on the loopback network: `<prefix>.x.y` with y in 1..254, so every
 * pod can bind its own ports without privileges and never on 127.0.0.1. Allocation moves
 * forward through the range so a freed address is not reused while clients may still hold
 * connections to it.
 */
export class PodAddressPool {
  private readonly inUse = new Set<string>();
  private cursor: number;
  private static readonly size = 256 * 254;

  /**
   * `prefix` is the first two octets, such as "127.1" (one pool per simulated cluster).
   * `start` is where allocation begins; a random start keeps playgrounds that share the
   * machine (and so the prefix) from reaching for the same addresses.
   */
  constructor(
    private readonly prefix: string,
    start = 0,
  ) {
    this.cursor = Math.abs(Math.floor(start)) % PodAddressPool.size;
    if (
      !/^127\.(\d{1,3})$/.test(prefix) ||
      Number(prefix.split('.')[1]) > 255 ||
      prefix === '127.0'
    ) {
      throw new Error(
        `pod address prefix "${prefix}" is invalid: use "127.N" with N in 1..255 (127.0 holds 127.0.0.1)`,
      );
    }
  }

  private addressAt(index: number): string {
    return `${this.prefix}.${Math.floor(index / 254)}.${(index % 254) + 1}`;
  }

  contains(address: string): boolean {
    const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
    if (!match || `${match[1]}.${match[2]}` !== this.prefix) return false;
    return Number(match[3]) <= 255 && Number(match[4]) >= 1 && Number(match[4]) <= 254;
  }

  /** Takes a specific address (a pod that already had one before a restart), if free. */
  claim(address: string): boolean {
    if (!this.contains(address) || this.inUse.has(address)) return false;
    this.inUse.add(address);
    return true;
  }

  allocate(): string {
    for (let step = 0; step < PodAddressPool.size; step++) {
      const address = this.addressAt((this.cursor + step) % PodAddressPool.size);
      if (!this.inUse.has(address)) {
        this.cursor = (this.cursor + step + 1) % PodAddressPool.size;
        this.inUse.add(address);
        return address;
      }
    }
    throw new Error(`pod address pool ${this.prefix}.0.0/16 is exhausted: delete some pods`);
  }

  /** Gives an address back; one found taken by another process should just stay allocated. */
  release(address: string): void {
    this.inUse.delete(address);
  }
}

/**
 * Takes the first address from the pool (or the pod's `previous` one) on which `serveAt`
 * succeeds; `serveAt` answers null when another process holds the address's ports, as
 * another playground on this machine may. Such addresses stay allocated, so they are not
 * tried again.
 */
export async function serveOnFreeAddress<T>(
  pool: PodAddressPool,
  previous: string | undefined,
  serveAt: (address: string) => Promise<T | null>,
  tries = 50,
): Promise<{ address: string; served: T }> {
  let address = previous && pool.claim(previous) ? previous : pool.allocate();
  for (let attempt = 1; ; attempt++) {
    const served = await serveAt(address);
    if (served !== null) return { address, served };
    if (attempt >= tries) {
      throw new Error(
        `no free loopback address after ${tries} tries (last ${address}); stop other playgrounds or processes listening on these addresses`,
      );
    }
    address = pool.allocate();
  }
}
