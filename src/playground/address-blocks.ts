import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RecordedProcess, recordProcess, stillRunning } from './state-file.js';

/**
 * Simulated pods listen on their own loopback addresses, 127.<block>.x.y, so two playgrounds
 * on one machine (two people, or parallel test runs) must not share a block. Claims are files
 * in a machine-wide directory, held by the claiming process and taken over once it is gone.
 * Block 1 is left to kubelet simulators started on their own, which default to it.
 */
export interface AddressBlock {
  /** First two octets, e.g. "127.7". */
  prefix: string;
  release(): Promise<void>;
}

const firstBlock = 2;
const lastBlock = 254;

export function addressBlockDir(): string {
  return process.env.FLEDGE_ADDRESS_BLOCKS ?? path.join(tmpdir(), 'fledge-address-blocks');
}

export async function claimAddressBlock(dir = addressBlockDir()): Promise<AddressBlock> {
  await mkdir(dir, { recursive: true });
  const owner = recordProcess(process.pid);
  for (let block = firstBlock; block <= lastBlock; block++) {
    const file = path.join(dir, `127.${block}`);
    if (await tryClaim(file, owner)) {
      return { prefix: `127.${block}`, release: () => rm(file, { force: true }) };
    }
  }
  throw new Error(
    `every pod address block 127.${firstBlock}-${lastBlock}.0.0/16 is claimed by a running playground (see ${dir}); stop one with \`fledge playground down\``,
  );
}

async function tryClaim(file: string, owner: RecordedProcess): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(JSON.stringify(owner));
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as RecordedProcess)
    .catch(() => undefined);
  // A claim being written has no holder yet: treat it as taken rather than race its writer.
  if (holder === undefined || stillRunning(holder)) return false;
  await rm(file, { force: true });
  return tryClaim(file, owner);
}
