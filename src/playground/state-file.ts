import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** One process the supervisor started; its start time tells it apart from a later one with the same pid. */
export interface RecordedProcess {
  pid: number;
  startTime: string;
}

/** What a playground's supervisor publishes in `<stateDir>/state.json` for `up`, `env` and `down`. */
export type PlaygroundState =
  | { status: 'starting'; supervisor: RecordedProcess }
  | {
      status: 'ready';
      supervisor: RecordedProcess;
      env: Record<string, string>;
      processes: RecordedProcess[];
    }
  | { status: 'failed'; supervisor: RecordedProcess; error: string };

export const stateFile = (stateDir: string) => path.join(stateDir, 'state.json');

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export async function writeState(stateDir: string, state: PlaygroundState): Promise<void> {
  const file = stateFile(stateDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function readState(stateDir: string): Promise<PlaygroundState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(stateDir), 'utf8')) as PlaygroundState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(
      `${stateFile(stateDir)} is unreadable (${(error as Error).message}); run \`fledge playground down\` to reset it`,
    );
  }
}

export async function removeState(stateDir: string): Promise<void> {
  await rm(stateFile(stateDir), { force: true });
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat, in clock ticks since
 * boot), or undefined when no such process runs or it is a zombie.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

export function recordProcess(pid: number): RecordedProcess {
  return { pid, startTime: processStartTime(pid) ?? 'unknown' };
}

/** True while the very process that was recorded still runs (not a later one reusing its pid). */
export function stillRunning(recorded: RecordedProcess): boolean {
  const startTime = processStartTime(recorded.pid);
  return startTime !== undefined && startTime === recorded.startTime;
}
