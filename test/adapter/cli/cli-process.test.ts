import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { finished, startCli } from './cli-process.js';

it('gives the result of a CLI process that ended before anyone asked for it', async () => {
  const child = startCli(['--version']);
  await once(child, 'close');
  const result = await Promise.race([finished(child), delay(10_000, 'never resolved')]);
  expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+/) });
});
