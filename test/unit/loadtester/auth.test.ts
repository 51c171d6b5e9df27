import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tokenCheck, tokenProblem } from '../../../src/loadtester/auth.js';
import { readToken } from '../../../src/loadtester/command.js';

const token = 'f1e2d3c4b5a6978812345678abcdef00';

describe('tokenCheck', () => {
  it('lets every request through when no token is set', () => {
    const check = tokenCheck(undefined);
    expect(check(undefined)).toBe(true);
    expect(check('Bearer anything')).toBe(true);
  });

  it('accepts exactly Authorization: Bearer <token>', () => {
    const check = tokenCheck(token);
    expect(check(`Bearer ${token}`)).toBe(true);
    expect(check(`bearer  ${token}`)).toBe(true);
  });

  it.each([
    undefined,
    '',
    token,
    `Basic ${token}`,
    `Bearer ${token.slice(0, -1)}`,
    `Bearer ${token}0`,
    `Bearer ${token.toUpperCase()}`,
    `Bearer ${token} extra`,
    'Bearer ',
  ])('refuses %j', (header) => {
    expect(tokenCheck(token)(header)).toBe(false);
  });
});

describe('tokenProblem and readToken', () => {
  it('refuses short tokens and tokens with spaces, naming a way to make one', () => {
    expect(tokenProblem('short')).toContain('at least 16');
    expect(tokenProblem('a token with spaces in it')).toContain('openssl rand -hex 32');
    expect(tokenProblem(token)).toBeUndefined();
  });

  it('reads the token from a file, dropping the line break a Secret file may end with', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fledge-token-'));
    const file = path.join(dir, 'token');
    writeFileSync(file, `${token}\n`);
    expect(readToken(file, 'ignored-because-the-file-wins')).toBe(token);
    writeFileSync(file, '');
    expect(() => readToken(file, undefined)).toThrow(/--token-file .* is 0 characters long/);
    expect(() => readToken(path.join(dir, 'missing'), undefined)).toThrow(
      /ENOENT.*mount the Secret/,
    );
  });

  it('reads the token from the environment; unset or empty means no authentication', () => {
    expect(readToken(undefined, token)).toBe(token);
    expect(readToken(undefined, undefined)).toBeUndefined();
    expect(readToken(undefined, '')).toBeUndefined();
    expect(() => readToken(undefined, 'short')).toThrow(/FLEDGE_LOADTESTER_TOKEN is 5 characters/);
  });
});
