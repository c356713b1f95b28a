// The bundle the bins run is what the build says it is: every SDK override applied, within its size budget.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/run.js';

interface BuildModule {
  overrideLedger(expected?: string[]): { note(what: string, file: string, changes: number): void; missed(): string[] };
  budgetReport(meta: { outputs: Record<string, { bytes: number }> }): { totals: Record<string, number>; over: string[] };
  BUNDLE_BUDGET: Record<string, number>;
}
const build = (): Promise<BuildModule> => import(pathToFileURL(join(ROOT, 'scripts/build-bundle.mjs')).href) as Promise<BuildModule>;
const bundleDir = join(ROOT, 'dist/bundle');
const chunks = () => readdirSync(bundleDir).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(bundleDir, f), 'utf8'));

test('an override that matched no file, or changed nothing, is reported (the build then refuses the bundle)', async () => {
  const { overrideLedger } = await build();
  const ledger = overrideLedger(['schema keys', 'xml parser']);
  ledger.note('schema keys', 'node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js', 0);
  assert.deepEqual(ledger.missed(), [
    'the schema keys override changed nothing in node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js',
    'the xml parser override matched no file',
  ]);
  ledger.note('xml parser', 'x.js', 1);
  ledger.note('schema keys', 'y.js', 12);
  assert.equal(ledger.missed().length, 1);
});

test('the size budget names each part over it', async () => {
  const { budgetReport, BUNDLE_BUDGET } = await build();
  const r = budgetReport({ outputs: { 'dist/bundle/main.js': { bytes: BUNDLE_BUDGET.entry + 1 }, 'dist/bundle/c.js': { bytes: 10 } } });
  assert.deepEqual(r.over, [`entry ${BUNDLE_BUDGET.entry + 1} B > ${BUNDLE_BUDGET.entry} B`]);
});

test('the built bundle carries every override: rewritten schemas of both clients and the fast XML parser', () => {
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/bundle-meta.json'), 'utf8')) as { ec2term: { overrides: Record<string, string[]>; size: Record<string, number> } };
  const { overrides } = meta.ec2term;
  assert.ok(overrides['schema keys'].some((f) => f.includes('client-ec2/')), JSON.stringify(overrides));
  assert.ok(overrides['schema keys'].some((f) => f.includes('client-route-53/')), JSON.stringify(overrides));
  assert.equal(overrides['xml parser'].length, 1);
  const text = chunks();
  // keepNames keeps class names: the SDK's parser class must be gone, ours present.
  assert.ok(text.some((t) => t.includes('"FastXmlParser"')), 'the replacement XML parser is in the bundle');
  assert.ok(!text.some((t) => t.includes('"AwsXmlParser"')), "the SDK's own XML parser is not in the bundle");
  // Tree-shaken shapes: an EC2 operation no command uses leaves no trace.
  assert.ok(!text.some((t) => t.includes('ModifyVerifiedAccessTrustProvider')), 'unused EC2 shapes were dropped');
});

test('a bin takes the tsc output only while no bundle exists; a broken bundle stops it with one line (exit 70)', async () => {
  const { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-bins-'));
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist/src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'dist/src/cli.js'), "export function run(p) { process.stdout.write(`tsc output ran ${p}\\n`); }\n");
  const bin = () => spawnSync(process.execPath, [join(dir, 'bin/ec2ssh'), '--version'], { encoding: 'utf8' });
  let r = bin();
  assert.equal(r.stdout, 'tsc output ran ec2ssh\n', r.stderr);
  mkdirSync(join(dir, 'dist/bundle'));
  writeFileSync(join(dir, 'dist/bundle/main.js'), "throw new Error('chunk-XYZ.js is missing');\n");
  r = bin();
  assert.equal(r.status, 70);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'ec2ssh: the built bundle (dist/bundle) fails to load: chunk-XYZ.js is missing; run npm run build\n');
  rmSync(dir, { recursive: true, force: true });
});
