import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseJudgeRequest } from '../judge/judge-input.js';
import { judge } from '../judge/judgement.js';

/** Exit codes, for scripts: the result, or 3 when there is nothing to judge. */
export const JUDGE_EXIT = { pass: 0, fail: 1, marginal: 2, invalid: 3 } as const;

/** 100 metrics of 2 × 10,000 points fit; a larger input is not a judge input. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;

class InputError extends Error {}

async function readBounded(chunks: AsyncIterable<Buffer | string>, name: string): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_INPUT_BYTES) {
      throw new InputError(
        `${name} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB; judge at most 100 metrics of 10,000 points per side`,
      );
    }
    parts.push(buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

async function readInput(file: string): Promise<{ name: string; text: string }> {
  if (file === '-') return { name: 'stdin', text: await readBounded(process.stdin, 'stdin') };
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    return { name: file, text: await readBounded(handle.createReadStream(), file) };
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read ${file}: ${(error as Error).message}`);
  } finally {
    await handle?.close();
  }
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name} is not JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

async function run(file: string): Promise<number> {
  const { name, text } = await readInput(file);
  const parsed = parseJudgeRequest(parseJson(text, name));
  if (!parsed.ok) {
    const count = parsed.problems.length === 1 ? '1 problem' : `${parsed.problems.length} problems`;
    throw new InputError(
      `${name} is not a valid judge input, ${count}:\n${parsed.problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}`,
    );
  }
  const judgement = judge(parsed.request);
  process.stdout.write(`${JSON.stringify(judgement, null, 2)}\n`);
  return judgement.result === 'Pass'
    ? JUDGE_EXIT.pass
    : judgement.result === 'Marginal'
      ? JUDGE_EXIT.marginal
      : JUDGE_EXIT.fail;
}

/**
 * `fledge judge FILE|-`: the statistical canary judge offline, on samples in a JSON file.
 * Usage errors exit 3 as invalid input does, so that 1 always means a failed canary.
 */
export function registerJudge(program: Command): void {
  program
    .command('judge')
    .argument('<file>', 'the JSON input (see docs/judge.md); - reads stdin')
    .description(
      'judge canary samples against baseline samples (Mann-Whitney U, Kayenta-style): exit 0 on pass, 1 on fail, 2 on marginal, 3 on invalid input',
    )
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : JUDGE_EXIT.invalid);
    })
    .action(async (file: string) => {
      try {
        process.exitCode = await run(file);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        process.stderr.write(`fledge judge: ${error.message}\n`);
        process.exitCode = JUDGE_EXIT.invalid;
      }
    });
}
