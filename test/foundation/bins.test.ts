// The real bins, spawned as a user runs them: help, version, bad flags, credentials, lazy loading.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { BIN, cleanEnv, runBin, tempHome } from '../helpers/run.js';

const PROGRAMS = ['ec2launch', 'ec2list', 'ec2ssh', 'ec2scp', 'ec2term'];

for (const program of PROGRAMS) {
  test(`${program} --help prints usage and examples on stdout, exit 0`, async () => {
    const r = await runBin(program, ['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: ${program} `));
    assert.match(r.stdout, /Examples:\n {2}\S/);
    assert.match(r.stdout, /Exit status:/);
    assert.equal(r.stderr, '');
  });

  test(`${program} --version prints the package version`, async () => {
    const r = await runBin(program, ['--version']);
    assert.equal(r.code, 0);
    const pkg = JSON.parse(readFileSync(join(BIN, '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim(), pkg.version);
  });

  test(`${program} --bogus exits 2 with one line on stderr`, async () => {
    const r = await runBin(program, ['--bogus']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^${program}: unknown option '--bogus'`));
  });
}

for (const program of ['ec2list', 'ec2launch', 'ec2ssh']) {
  test(`${program} --help loads no AWS SDK, ssh2 or inquirer`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ec2term-loads-'));
    const log = join(dir, 'loaded.txt');
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    writeFileSync(log, '');
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, join(BIN, program), '--help'], { env: cleanEnv(), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const loaded = readFileSync(log, 'utf8');
    assert.match(loaded, new RegExp(`/bin/${program}\\n`), 'the hook saw the modules');
    // The bins run the esbuild bundle (dist/bundle, see docs/performance.md): a chunk's URL does not name
    // the packages inside it, so also look each loaded chunk's inputs up in the build's metafile.
    const meta = JSON.parse(readFileSync(join(BIN, '..', 'dist/bundle-meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
    const inputs = loaded
      .split('\n')
      .filter((u) => u.startsWith('file:'))
      .flatMap((u) => Object.keys(meta.outputs[relative(join(BIN, '..'), fileURLToPath(u))]?.inputs ?? {}));
    for (const heavy of ['@aws-sdk', '@smithy', 'ssh2', '@inquirer', 'chalk']) {
      assert.ok(!loaded.includes(heavy), `${program} --help loaded ${heavy}`);
      assert.ok(!inputs.some((i) => i.includes(heavy)), `${program} --help loaded a bundle chunk with ${heavy}`);
    }
  });
}

test('ec2list with no credentials and no terminal exits 4 naming ~/.boto and aws configure', async () => {
  const r = await runBin('ec2list', ['--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /no AWS credentials found/);
  assert.match(r.stderr, /~\/\.boto/);
  assert.match(r.stderr, /aws configure/);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
});

test('a ~/.boto in a fresh HOME is picked up; --verbose shows the source with the key masked', async () => {
  const home = tempHome();
  writeFileSync(join(home, '.boto'), '[Credentials]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n');
  // A closed loopback port: the request fails fast, after credentials were resolved.
  const r = await runBin('ec2list', ['--verbose', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9'], { env: { HOME: home } });
  assert.match(r.stderr, /credentials: ~\/\.boto, access key AKIA\*{12}MPLE/);
  assert.ok(!r.stderr.includes('wJalrXUtnFEMI'), 'the secret is never printed');
  assert.notEqual(r.code, 0);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
});

test('a bad --region is a usage error before any request', async () => {
  const r = await runBin('ec2list', ['--region', 'mars-1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad --region "mars-1"/);
});

test('the AWS SDK\'s Node version warning never reaches the terminal', async () => {
  const home = tempHome();
  writeFileSync(join(home, '.boto'), '[Credentials]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n');
  const r = await runBin('ec2list', ['--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9'], { env: { HOME: home } });
  assert.ok(!/NodeVersionSupportWarning|Warning:/.test(r.stderr), r.stderr);
});
