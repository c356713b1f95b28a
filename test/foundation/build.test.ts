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

test('every SDK client in the bundle had its schemas rewritten, and the bundle is within its size budget', async () => {
  const { BUNDLE_BUDGET } = await build();
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/bundle-meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>; ec2term: { overrides: Record<string, string[]>; size: Record<string, number> };
  };
  const schemas = Object.keys(meta.inputs).filter((f) => /@aws-sdk\/client-[^/]+\/dist-es\/schemas\/schemas_\d+\.js$/.test(f));
  assert.ok(schemas.length >= 4, `EC2, Route 53, Auto Scaling and Instance Connect are bundled: ${schemas.join(', ')}`);
  assert.deepEqual(schemas.filter((f) => !meta.ec2term.overrides['schema keys'].includes(f)), [], 'bundled schemas the override did not rewrite');
  for (const [part, max] of Object.entries(BUNDLE_BUDGET)) {
    assert.ok(meta.ec2term.size[part]! > 0 && meta.ec2term.size[part]! <= max, `${part}: ${meta.ec2term.size[part]} B, budget ${max} B`);
  }
});

test('type errors fail npm test: scripts/build.mjs exits with tsc\'s status and scripts/test.mjs then runs no test', async () => {
  const { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { spawnSync } = await import('node:child_process');
  const { tmpdir } = await import('node:os');
  // The two real scripts beside a stand-in tsc and a bundle step that does nothing.
  const dir = mkdtempSync(join(tmpdir(), 'ec2term-typecheck-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    for (const f of ['build.mjs', 'test.mjs']) cpSync(join(ROOT, 'scripts', f), join(dir, 'scripts', f));
    writeFileSync(join(dir, 'scripts/build-bundle.mjs'), 'export async function bundle() {}\n');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    mkdirSync(join(dir, 'node_modules/typescript/bin'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/typescript/package.json'), '{}');
    const tsc = (status: number) => writeFileSync(join(dir, 'node_modules/typescript/bin/tsc'),
      `${status ? "console.log(\"src/x.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.\");" : ''} process.exit(${status});\n`);
    const marker = join(dir, 'a-test-ran');
    mkdirSync(join(dir, 'dist/test'), { recursive: true });
    writeFileSync(join(dir, 'dist/test/marker.test.js'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // the copy's own node --test is not a child of this run
    const npmTest = () => spawnSync(process.execPath, [join(dir, 'scripts/test.mjs')], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });

    tsc(2);
    let r = npmTest();
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /build: tsc reported type errors/);
    assert.match(r.stderr, /test: the build reported errors \(see above\); no tests run\./);
    assert.equal(existsSync(marker), false, 'no test ran after a type error');

    tsc(0);
    r = npmTest();
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.equal(existsSync(marker), true, 'with no type error the tests run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
