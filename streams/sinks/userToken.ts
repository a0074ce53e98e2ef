import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RxgradError, shown } from '../../src/RxgradError';

/** Options of `userToken`. */
export interface UserTokenOptions {
  /** Replace the stored token by a new one (old dashboard URLs stop working). Default false. */
  readonly rotate?: boolean;
  /** Environment to read the config location from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * rxgrad's per-user config directory: `$RXGRAD_CONFIG_DIR` when set, else
 * `$XDG_CONFIG_HOME/rxgrad`, else `~/.config/rxgrad`.
 *
 * @example
 * configDir({ RXGRAD_CONFIG_DIR: '/tmp/rx' }); // '/tmp/rx'
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RXGRAD_CONFIG_DIR) return env.RXGRAD_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'rxgrad');
}

/**
 * The dashboard access token of this user, kept in `<configDir>/token` so that every
 * `npm start` and `npx rxgrad dashboard` of the user serves the same token and an open page
 * reconnects after a restart.
 *
 * 1. The file exists and holds a token (≥ 8 characters, surrounding white space ignored):
 *    that token is returned. A file other users may read is made private (0600) first.
 *    A file holding anything shorter is an `RxgradError` naming the file (the token itself is
 *    never printed); `rotate` replaces it.
 * 2. Otherwise, or with `rotate`, 24 random bytes (base64url) are written to it: the directory
 *    is created 0700, the file 0600, complete before it appears (written aside, then linked or
 *    renamed into place); when two launches create it at once, both end up with the one that
 *    landed first.
 *
 * @example
 * const server = await metricsServer({ token: userToken() });
 * userToken({ rotate: true }); // a new token: pages still open with the old one are refused
 */
export function userToken(options: UserTokenOptions = {}): string {
  const dir = configDir(options.env);
  const file = join(dir, 'token');
  if (!options.rotate) {
    const kept = readToken(file);
    if (kept !== undefined) return kept;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  const aside = join(dir, `.token-${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(aside, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (options.rotate) renameSync(aside, file);
    else linkSync(aside, file);
    return token;
  } catch (err) {
    if (options.rotate || (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readToken(file) ?? userToken(options);
  } finally {
    rmSync(aside, { force: true });
  }
}

/** The token stored in `file` (made 0600), or undefined when there is no file. */
function readToken(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const token = text.trim();
  if (token.length < 8) {
    throw new RxgradError(file, 'a token of at least 8 characters', shown(`${token.length} characters`), 'delete the file or run `npx rxgrad token --new-token`');
  }
  return token;
}
