import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** The image scripts/build-image.sh builds by default, or the one FLEDGE_IMAGE names. */
export const image = process.env.FLEDGE_IMAGE ?? `localhost/fledge:${packageVersion}`;

export class PodmanError extends Error {
  override readonly name = 'PodmanError';
}

/** Runs podman; resolves with stdout, rejects with the end of stderr. */
export function podman(args: string[], options: { input?: string; timeoutMs?: number } = {}) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn('podman', args, { timeout: options.timeoutMs ?? 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.once('error', (error) =>
      reject(new PodmanError(`podman ${args[0]}: ${error.message}; run npm run setup`)),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new PodmanError(`podman ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface HostCgroups {
  /** /sys/fs/cgroup is cgroup v2 alone (it has cgroup.controllers). */
  unifiedOnly: boolean;
}

export const hostCgroups = (): HostCgroups => ({
  unifiedOnly: existsSync('/sys/fs/cgroup/cgroup.controllers'),
});

/**
 * `podman run` flags that make a container run as deploy/controller.yaml runs the pod, on
 * fledge's build machines as on a developer's:
 * - its own user and group from the image, a read-only root file system without the tmpfs
 *   mounts podman adds by default (Kubernetes adds none), no capabilities, no privilege gain;
 * - the host's network: the playground listens on 127.0.0.0/8 only;
 * - explicit open-file and process limits: podman raises both to 1048576 and more by default,
 *   which a host without CAP_SYS_RESOURCE (a sandbox, a CI runner) refuses with
 *   "setrlimit RLIMIT_NOFILE: Operation not permitted";
 * - runc on hosts with cgroup v1 or hybrid cgroups: crun 1.8 (Debian 12) refuses hybrid ones
 *   ("cgroups in hybrid mode not supported").
 */
export function podmanRunFlags(cgroups: HostCgroups): string[] {
  return [
    '--read-only',
    '--read-only-tmpfs=false',
    '--cap-drop=ALL',
    '--security-opt=no-new-privileges',
    '--network=host',
    '--ulimit=nofile=4096:4096',
    '--ulimit=nproc=4096:4096',
    ...(cgroups.unifiedOnly ? [] : ['--runtime=runc']),
  ];
}
