// The map in docs/ENGINEERING.md, kept by a test: the product reaches the sandbox through one doorway
// (src/lib/target.ts) and the sandbox's own command; nothing else in lib/ or commands/ imports it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const DOORWAYS = ['src/lib/target.ts', 'src/commands/ec2term/run.ts'];

function sources(dir: string, ext = '.ts'): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

test('only the doorway imports the sandbox from lib/ and commands/', () => {
  const offenders = [...sources(join(root, 'src/lib')), ...sources(join(root, 'src/commands'))]
    .map((p) => relative(root, p))
    .filter((p) => !DOORWAYS.includes(p))
    .filter((p) => /(?:from\s+|import\()\s*'[./]*\/sandbox\//.test(readFileSync(join(root, p), 'utf8')));
  assert.deepEqual(offenders, []);
});

test('lib/ and commands/ code names no sandbox outside the doorway (help text may show the --sandbox flag)', () => {
  const offenders = [...sources(join(root, 'src/lib')), ...sources(join(root, 'src/commands'))]
    .map((p) => relative(root, p))
    .filter((p) => !DOORWAYS.includes(p) && !p.startsWith('src/commands/ec2term/'))
    .flatMap((p) => readFileSync(join(root, p), 'utf8').split('\n').map((line, i) => ({ p, i, line })))
    .filter(({ line }) => /sandbox/i.test(line.replace(/--sandbox\b/g, '')))
    .map(({ p, i, line }) => `${p}:${i + 1}: ${line.trim()}`);
  assert.deepEqual(offenders, []);
});

// What `grep -rni sandbox src/lib src/commands` finds: the doorway and the `ec2term sandbox` command, nothing
// else (no flag spelled out, no comment): every other file says "the local target".
test('the word sandbox appears in lib/ and commands/ only in target.ts and src/commands/ec2term/', () => {
  const naming = [...sources(join(root, 'src/lib'), ''), ...sources(join(root, 'src/commands'), '')]
    .map((p) => relative(root, p))
    .filter((p) => /sandbox/i.test(readFileSync(join(root, p), 'utf8')));
  const offenders = naming.filter((p) => p !== 'src/lib/target.ts' && !p.startsWith('src/commands/ec2term/'));
  assert.deepEqual(offenders, []);
  assert.ok(naming.includes('src/lib/target.ts'), 'the doorway names what it opens');
  assert.ok(naming.some((p) => p.startsWith('src/commands/ec2term/')), 'the `ec2term sandbox` command is where it is expected');
});
