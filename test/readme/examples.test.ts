/**
 * Every README example runs as written.
 *
 * 1. Every ```ts block of README.md — including the ones added later — is written to its own
 *    file in a temporary folder inside the project (`tmp/`, git-ignored) and run with tsx as a
 *    child process, from that folder. It must exit 0 within `LIMIT_MS`. Blocks are complete
 *    programs: their imports, their data, and servers they start closed by themselves.
 * 2. `rxgrad` and `rxgrad/streams` resolve to the sources (src/index.ts, streams/index.ts)
 *    through a tsconfig `paths` entry handed to tsx, so the examples run whether the package's
 *    `exports` point at the sources or at a build in dist/.
 * 3. A ```text block right after a ts block and marked `<!-- output -->` is that block's
 *    standard output, exactly.
 * 4. The block marked `<!-- output: npm run chapter7 -->` is what `npm run chapter7` prints,
 *    line for line, except the measured seconds per epoch.
 * 5. Every example type-checks (strict, the project's compiler options; errors inside the
 *    library itself are left to `npm run typecheck`).
 * 6. Only ```ts blocks are run: a TypeScript example in a ```typescript, ```js or ```tsx block
 *    would silently escape the test, so those fences fail it.
 * 7. A block that needs a NATS JetStream server reads its address from `NATS_URL` (falling back
 *    to `nats://127.0.0.1:4222` for a reader): a block that mentions `process.env.NATS_URL` gets
 *    a test server of its own (test/nats/natsServer.ts, empty store, stopped after the block), so
 *    its output does not depend on other blocks. Without `nats-server` those blocks fail, never skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../nats/natsServer';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
/** Longest an example may run. */
const LIMIT_MS = 60_000;
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** A fenced block of README.md: its language, its text, the 1-based line of its opening fence and the heading above it. */
interface Block {
  readonly lang: string;
  readonly code: string;
  readonly line: number;
  readonly heading: string;
  /** The HTML comment on the line just before the fence (blank lines skipped), if any. */
  readonly marker: string;
}

function blocks(text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*)/.exec(lines[i]);
    if (h) heading = h[1];
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code fence`);
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const marker = k >= 0 ? (/^<!--\s*(.*?)\s*-->$/.exec(lines[k].trim())?.[1] ?? '') : '';
    out.push({ lang: open[1], code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1, heading, marker });
    i = end;
  }
  return out;
}

const all = blocks(readme);
const examples = all.filter((b) => b.lang === 'ts');
const dir = join(ROOT, 'tmp', `readme-${process.pid}`);
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.json',
    compilerOptions: { baseUrl: '../..', paths: { rxgrad: ['./src/index.ts'], 'rxgrad/streams': ['./streams/index.ts'] } },
    include: ['./*.ts'],
  }),
);
const files = examples.map((b, n) => join(dir, `example-${n + 1}-line-${b.line}.ts`));
examples.forEach((b, n) => writeFileSync(files[n], b.code));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a TypeScript file with tsx from `cwd` (with `NATS_URL` when given); the tfjs banner and warnings go to stderr. */
function tsx(file: string, cwd: string, args: string[] = [], nats?: NatsServer) {
  const t0 = performance.now();
  const r = spawnSync(TSX, ['--tsconfig', join(dir, 'tsconfig.json'), file, ...args], { cwd, encoding: 'utf8', timeout: LIMIT_MS, env: { ...process.env, FORCE_COLOR: '0', ...(nats && { NATS_URL: nats.url }) } });
  return { ...r, ms: performance.now() - t0 };
}

describe('README.md', () => {
  it('has TypeScript examples only in ```ts blocks (the ones this test runs), and some of them', () => {
    expect(all.filter((b) => ['typescript', 'tsx', 'js', 'javascript', 'mjs'].includes(b.lang)).map((b) => `line ${b.line}: \`\`\`${b.lang}`)).toEqual([]);
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  for (const [n, b] of examples.entries()) {
    const next = all[all.indexOf(b) + 1];
    const output = next && next.lang === 'text' && next.marker === 'output' ? next.code : undefined;
    it(`example ${n + 1} (line ${b.line}, "${b.heading}") runs to the end${output ? ' and prints the output shown below it' : ''}`, async () => {
      const file = files[n];
      const nats = b.code.includes('process.env.NATS_URL') ? await startNatsServer() : undefined;
      let r: ReturnType<typeof tsx>;
      try {
        r = tsx(file, dir, [], nats);
      } finally {
        await nats?.close();
      }
      const why = `README.md line ${b.line} (${file}):\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${r.error ?? ''}`;
      expect(r.signal, `killed after ${LIMIT_MS} ms — ${why}`).toBeNull();
      expect(r.status, why).toBe(0);
      if (output !== undefined) expect(r.stdout).toBe(output);
    }, LIMIT_MS + 10_000);
  }

  it("type-checks every example as a user's strict TypeScript project would", () => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '-p', join(dir, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8', timeout: LIMIT_MS });
    // Errors inside the library are `npm run typecheck`'s business; here only the examples' own count.
    const own = (r.stdout + r.stderr).split('\n').filter((l) => l.includes(`readme-${process.pid}/`));
    expect(own).toEqual([]);
    expect(r.error).toBeUndefined();
  }, LIMIT_MS + 10_000);

  it('shows what `npm run chapter7` prints, line for line (seconds per epoch aside)', () => {
    const shown = all.filter((b) => b.marker === 'output: npm run chapter7');
    expect(shown).toHaveLength(1);
    const r = tsx(join(ROOT, 'demo/chapter7.ts'), ROOT);
    expect(r.status, r.stderr).toBe(0);
    const mask = (s: string) => s.trimEnd().replace(/\d+\.\d+ sec\/epoch/g, '… sec/epoch').split('\n');
    const printed = mask(r.stdout);
    expect(printed.filter((l) => /epoch \d+, x1|loss: /.test(l))).toHaveLength(29);
    expect(mask(shown[0].code)).toEqual(printed);
  }, LIMIT_MS + 10_000);
});
