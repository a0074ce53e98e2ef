import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RxgradError } from '../../src/RxgradError';
import { configDir, userToken } from '../../streams/sinks/userToken';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rxgrad-config-'));
  env = { RXGRAD_CONFIG_DIR: join(dir, 'rxgrad') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('configDir', () => {
  it('is RXGRAD_CONFIG_DIR, else $XDG_CONFIG_HOME/rxgrad, else ~/.config/rxgrad', () => {
    expect(configDir({ RXGRAD_CONFIG_DIR: '/a/b', XDG_CONFIG_HOME: '/x' })).toBe('/a/b');
    expect(configDir({ XDG_CONFIG_HOME: '/x' })).toBe('/x/rxgrad');
    expect(configDir({})).toBe(join(homedir(), '.config', 'rxgrad'));
  });
});

describe('userToken', () => {
  it('creates a private token file once and returns the same token on every later call', () => {
    const first = userToken({ env });
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const file = join(dir, 'rxgrad', 'token');
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'rxgrad')).mode & 0o777).toBe(0o700);
    expect(userToken({ env })).toBe(first);
    // Nothing else is left in the directory (the file is written aside, then linked into place).
    expect(readdirSync(join(dir, 'rxgrad'))).toEqual(['token']);
  });

  it('rotate replaces the token; the new one is kept from then on', () => {
    const first = userToken({ env });
    const second = userToken({ env, rotate: true });
    expect(second).not.toBe(first);
    expect(userToken({ env })).toBe(second);
    expect(statSync(join(dir, 'rxgrad', 'token')).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'rxgrad'))).toEqual(['token']);
  });

  it('takes a token the user wrote (white space trimmed) and makes a readable file private', () => {
    userToken({ env });
    const file = join(dir, 'rxgrad', 'token');
    writeFileSync(file, '  my-own-token-123 \n');
    chmodSync(file, 0o644);
    expect(userToken({ env })).toBe('my-own-token-123');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a file holding a too short token, without printing it', () => {
    userToken({ env });
    const file = join(dir, 'rxgrad', 'token');
    writeFileSync(file, 'abc\n');
    expect(() => userToken({ env })).toThrow(RxgradError);
    expect(() => userToken({ env })).toThrow(`Expected \`${file}\` a token of at least 8 characters, got 3 characters (delete the file or run \`npx rxgrad token --new-token\`)`);
    expect(userToken({ env, rotate: true })).toHaveLength(32);
  });

  it('uses $XDG_CONFIG_HOME when RXGRAD_CONFIG_DIR is not set', () => {
    const token = userToken({ env: { XDG_CONFIG_HOME: dir } });
    expect(readFileSync(join(dir, 'rxgrad', 'token'), 'utf8').trim()).toBe(token);
    expect(existsSync(join(dir, 'rxgrad'))).toBe(true);
  });
});
