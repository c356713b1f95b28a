import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chooseEndpoints, chooseRegion } from '../../src/lib/aws.js';
import { parseRegionList } from '../../src/lib/ids.js';
import { botoSettingsFrom, profileRegionFrom, readBoto } from '../../src/lib/config-files.js';
import { resolveCredentials, saveBotoCredentials } from '../../src/lib/credentials.js';
import { UsageError } from '../../src/lib/errors.js';
import { parseIni, setIniValues } from '../../src/lib/inifile.js';
import { Output } from '../../src/lib/output.js';
import { noPrompt, scriptedPrompt } from '../../src/lib/prompt.js';
import type { Io } from '../../src/lib/io.js';
import { PassThrough } from 'node:stream';

// A ~/.boto exactly as GraphTerm's original ec2 scripts (and boto's docs) wrote it.
const ORIGINAL_BOTO = `[Credentials]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

[Boto]
ec2_region_name = eu-west-1
debug = 0
`;

function home(): string {
  return mkdtempSync(join(tmpdir(), 'ec2term-cfg-'));
}

function memoryIo(env: NodeJS.ProcessEnv): Io & { err: () => string } {
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (b: Buffer) => chunks.push(b));
  return {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr,
    env,
    interactive: false,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: () => 120,
    err: () => Buffer.concat(chunks).toString(),
  };
}

test('parseIni reads the original scripts\' ~/.boto', () => {
  const s = botoSettingsFrom(parseIni(ORIGINAL_BOTO), '/h/.boto');
  assert.equal(s.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
  assert.equal(s.secretAccessKey, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
  assert.equal(s.region, 'eu-west-1');
});

const iniCases: [string, string, boolean][] = [
  ['colon separator (ConfigParser)', '[Credentials]\naws_access_key_id: AKIA1234567890123456\n', true],
  ['comments and blank lines', '# c\n; c\n\n[Boto]\nx = 1\n', true],
  ['continuation line', '[a]\nk = one\n  two\n', true],
  ['garbage line', '[Credentials]\nthis is not ini\n', false],
  ['key before a section', 'aws_access_key_id = x\n', false],
  ['binary junk', '\u0000\u0001[[[', false],
];
for (const [name, text, ok] of iniCases) {
  test(`parseIni: ${name} ${ok ? 'parses' : 'is rejected'}`, () => {
    if (ok) parseIni(text);
    else assert.throws(() => parseIni(text));
  });
}

test('setIniValues keeps other sections and comments, replaces keys in place', () => {
  const out = setIniValues('# mine\n[Boto]\ndebug = 1\n[Credentials]\naws_access_key_id = OLD\n', 'Credentials', {
    aws_access_key_id: 'NEW',
    aws_secret_access_key: 'S',
  });
  assert.equal(out, '# mine\n[Boto]\ndebug = 1\n[Credentials]\naws_access_key_id = NEW\naws_secret_access_key = S\n');
  assert.equal(setIniValues('', 'Credentials', { a: '1' }), '[Credentials]\na = 1\n');
});

const regionCases: [string, Parameters<typeof chooseRegion>[0], string, string][] = [
  ['flag wins', { flag: 'us-west-2', env: { AWS_REGION: 'eu-west-1' }, profile: 'default', botoPath: '~/.boto' }, 'us-west-2', '--region'],
  ['AWS_REGION', { env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-2' }, profile: 'default', botoPath: '~/.boto' }, 'eu-west-1', 'AWS_REGION'],
  ['AWS_DEFAULT_REGION', { env: { AWS_DEFAULT_REGION: 'us-east-2' }, profile: 'default', botoPath: '~/.boto' }, 'us-east-2', 'AWS_DEFAULT_REGION'],
  ['profile', { env: {}, profile: 'dev', profileRegion: 'ap-southeast-2', botoRegion: 'eu-west-1', botoPath: '~/.boto' }, 'ap-southeast-2', 'profile dev'],
  ['boto', { env: {}, profile: 'default', botoRegion: 'eu-west-1', botoPath: '~/.boto' }, 'eu-west-1', '~/.boto'],
  ['default', { env: {}, profile: 'default', botoPath: '~/.boto' }, 'us-east-1', 'default'],
  ['first of a list', { flag: 'eu-west-1,us-east-1', env: {}, profile: 'default', botoPath: '~/.boto' }, 'eu-west-1', '--region'],
];
for (const [name, input, region, source] of regionCases) {
  test(`chooseRegion: ${name}`, () => {
    const got = chooseRegion(input);
    assert.equal(got.region, region);
    assert.equal(got.source, source);
  });
}

for (const bad of ['', 'useast1', 'us-east-1;rm', 'US-EAST-1', 'us-east-1,,x']) {
  test(`parseRegionList rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseRegionList(bad), UsageError));
}

test('profileRegionFrom reads [default] and [profile x]', () => {
  const s = parseIni('[default]\nregion = us-west-1\n[profile dev]\nregion = eu-central-1\n');
  assert.equal(profileRegionFrom(s, 'default'), 'us-west-1');
  assert.equal(profileRegionFrom(s, 'dev'), 'eu-central-1');
  assert.equal(profileRegionFrom(s, 'nope'), undefined);
});

const endpointCases: [string, string | undefined, NodeJS.ProcessEnv, { ec2?: string; route53?: string }][] = [
  ['flag for both', 'http://127.0.0.1:4566/', {}, { ec2: 'http://127.0.0.1:4566', route53: 'http://127.0.0.1:4566' }],
  ['AWS_ENDPOINT_URL', undefined, { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }, { ec2: 'http://127.0.0.1:1', route53: 'http://127.0.0.1:1' }],
  ['service specific wins', undefined, { AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_EC2: 'http://b:2', AWS_ENDPOINT_URL_ROUTE_53: 'http://c:3' }, { ec2: 'http://b:2', route53: 'http://c:3' }],
  ['none', undefined, {}, { ec2: undefined, route53: undefined }],
];
for (const [name, flag, env, expected] of endpointCases) {
  test(`chooseEndpoints: ${name}`, () => assert.deepEqual(chooseEndpoints(flag, env), expected));
}
test('chooseEndpoints rejects non-URLs', () => {
  assert.throws(() => chooseEndpoints('ftp://x', {}), UsageError);
  assert.throws(() => chooseEndpoints('not a url', {}), UsageError);
});

test('resolveCredentials picks up ~/.boto and says so with --verbose, secret masked', async () => {
  const h = home();
  writeFileSync(join(h, '.boto'), ORIGINAL_BOTO);
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  const io = memoryIo(env);
  const out = new Output(io, { json: false, quiet: false, verbose: true, color: false }, 'ec2list');
  const creds = await resolveCredentials(undefined, { env, out, prompt: noPrompt(), verify: async () => {} });
  assert.equal(creds.source, '~/.boto');
  const identity = await creds.provider();
  assert.equal(identity.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
  assert.match(io.err(), /credentials: ~\/\.boto, access key AKIA\*+MPLE/);
  assert.ok(!io.err().includes('wJalrXUtnFEMI'), 'secret never printed');
});

test('resolveCredentials: BOTO_CONFIG names another file', async () => {
  const h = home();
  const path = join(h, 'other.cfg');
  writeFileSync(path, ORIGINAL_BOTO);
  const env = { HOME: h, BOTO_CONFIG: path, AWS_EC2_METADATA_DISABLED: 'true' };
  const creds = await resolveCredentials(undefined, { env, out: new Output(memoryIo(env), { json: false, quiet: true, verbose: false, color: false }, 'x'), prompt: noPrompt(), verify: async () => {} });
  assert.equal(creds.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
});

test('resolveCredentials: environment comes before ~/.boto', async () => {
  const h = home();
  writeFileSync(join(h, '.boto'), ORIGINAL_BOTO);
  const env = { HOME: h, AWS_ACCESS_KEY_ID: 'AKIAENVENVENVENVENV1', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40), AWS_EC2_METADATA_DISABLED: 'true' };
  const creds = await resolveCredentials(undefined, { env, out: new Output(memoryIo(env), { json: false, quiet: true, verbose: false, color: false }, 'x'), prompt: noPrompt(), verify: async () => {} });
  assert.equal(creds.accessKeyId, 'AKIAENVENVENVENVENV1');
  assert.match(creds.source, /environment/);
});

test('resolveCredentials: a [default] profile in ~/.aws/credentials comes before ~/.boto', async () => {
  const h = home();
  writeFileSync(join(h, '.boto'), ORIGINAL_BOTO);
  mkdirSync(join(h, '.aws'));
  writeFileSync(join(h, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAPROFILEPROFILE01\naws_secret_access_key = sssssssssssssssssssssssss\n');
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  const creds = await resolveCredentials(undefined, { env, out: new Output(memoryIo(env), { json: false, quiet: true, verbose: false, color: false }, 'x'), prompt: noPrompt(), verify: async () => {} });
  assert.equal(creds.accessKeyId, 'AKIAPROFILEPROFILE01');
  assert.match(creds.source, /profile default/);
});

test('resolveCredentials: an unknown --profile is an error, not a silent fallback to ~/.boto', async () => {
  const h = home();
  writeFileSync(join(h, '.boto'), ORIGINAL_BOTO);
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  await assert.rejects(
    resolveCredentials('nosuch', { env, out: new Output(memoryIo(env), { json: false, quiet: true, verbose: false, color: false }, 'x'), prompt: noPrompt(), verify: async () => {} }),
    /profile "nosuch"/,
  );
});

test('resolveCredentials: none and no terminal -> exit 4 naming ~/.boto and aws configure', async () => {
  const h = home();
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  await assert.rejects(
    resolveCredentials(undefined, { env, out: new Output(memoryIo(env), { json: false, quiet: true, verbose: false, color: false }, 'x'), prompt: noPrompt(), verify: async () => {} }),
    (err: Error & { exitCode?: number; hint?: string }) => err.exitCode === 4 && /~\/\.boto/.test(err.hint ?? '') && /aws configure/.test(err.hint ?? ''),
  );
});

test('first run: asks once, verifies, saves ~/.boto 0600 atomically and carries on', async () => {
  const h = home();
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  const io = memoryIo(env);
  const prompt = scriptedPrompt(['AKIANEWKEYNEWKEY0001', 'secret-secret-secret-secret']);
  let verified = '';
  const creds = await resolveCredentials(undefined, {
    env,
    out: new Output(io, { json: false, quiet: false, verbose: true, color: false }, 'x'),
    prompt,
    verify: async (id) => {
      verified = id.accessKeyId;
    },
  });
  assert.equal(prompt.asked.length, 2);
  assert.equal(verified, 'AKIANEWKEYNEWKEY0001');
  assert.equal(creds.accessKeyId, 'AKIANEWKEYNEWKEY0001');
  const path = join(h, '.boto');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const saved = await readBoto(env);
  assert.equal(saved?.secretAccessKey, 'secret-secret-secret-secret');
  assert.ok(!io.err().includes('secret-secret'), 'secret never printed');
});

test('first run: keys AWS refuses twice are not saved', async () => {
  const h = home();
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  const prompt = scriptedPrompt(['AKIANEWKEYNEWKEY0001', 'secret-secret-secret-secret', 'AKIANEWKEYNEWKEY0001', 'secret-secret-secret-again']);
  const refused = Object.assign(new Error('AWS was not able to validate the provided access credentials'), { name: 'AuthFailure', $metadata: { httpStatusCode: 401 } });
  await assert.rejects(
    resolveCredentials(undefined, { env, out: new Output(memoryIo(env), { json: false, quiet: true, verbose: false, color: false }, 'x'), prompt, verify: async () => { throw refused; } }),
    /nothing was saved/,
  );
  assert.equal(await readBoto(env), undefined);
});

test('first run: a wrong secret is asked for once more (the key id offered again), then saved', async () => {
  const h = home();
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  const io = memoryIo(env);
  const prompt = scriptedPrompt(['AKIANEWKEYNEWKEY0001', 'wrong-wrong-wrong-wrong', 'AKIANEWKEYNEWKEY0001', 'right-right-right-right']);
  const refused = Object.assign(new Error('The request signature we calculated does not match'), { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
  const creds = await resolveCredentials(undefined, {
    env,
    out: new Output(io, { json: false, quiet: false, verbose: false, color: false }, 'x'),
    prompt,
    verify: async (id) => {
      if (id.secretAccessKey.startsWith('wrong')) throw refused;
    },
  });
  assert.deepEqual(prompt.asked, ['AWS access key id:', 'AWS secret access key:', 'AWS access key id:', 'AWS secret access key:']);
  assert.equal(creds.accessKeyId, 'AKIANEWKEYNEWKEY0001');
  assert.equal((await readBoto(env))?.secretAccessKey, 'right-right-right-right');
  assert.match(io.err(), /SignatureDoesNotMatch.*enter the keys again/);
  assert.ok(!io.err().includes('wrong-wrong') && !io.err().includes('right-right'), 'secrets never printed');
});

test('first run with no region configured: asks for it, verifies there and saves it beside the keys', async () => {
  const h = home();
  const env = { HOME: h, AWS_EC2_METADATA_DISABLED: 'true' };
  const prompt = scriptedPrompt(['eu-central-1', 'AKIANEWKEYNEWKEY0001', 'secret-secret-secret-secret']);
  let verifiedIn: string | undefined;
  const creds = await resolveCredentials(undefined, {
    env,
    out: new Output(memoryIo(env), { json: false, quiet: true, verbose: false, color: false }, 'x'),
    prompt,
    askRegion: 'us-east-1',
    verify: async (_id, region) => {
      verifiedIn = region;
    },
  });
  assert.equal(prompt.asked[0], 'AWS region:');
  assert.equal(creds.region, 'eu-central-1');
  assert.equal(verifiedIn, 'eu-central-1');
  const saved = await readBoto(env);
  assert.equal(saved?.region, 'eu-central-1', 'the next run finds the region (no "no region configured")');
  assert.equal(saved?.accessKeyId, 'AKIANEWKEYNEWKEY0001');
});

test('saveBotoCredentials keeps an existing file\'s other sections; refuses a damaged one', async () => {
  const h = home();
  const path = join(h, '.boto');
  writeFileSync(path, '[Boto]\nec2_region_name = eu-west-1\n');
  await saveBotoCredentials(path, { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 's' }, { HOME: h });
  const text = readFileSync(path, 'utf8');
  assert.match(text, /ec2_region_name = eu-west-1/);
  assert.match(text, /aws_access_key_id = AKIAAAAAAAAAAAAAAAAA/);
  writeFileSync(path, 'garbage line\n');
  await assert.rejects(saveBotoCredentials(path, { accessKeyId: 'A', secretAccessKey: 's' }, { HOME: h }), /damaged/);
  assert.equal(readFileSync(path, 'utf8'), 'garbage line\n');
});

test('a damaged ~/.boto is a clear error naming the file', async () => {
  const h = home();
  writeFileSync(join(h, '.boto'), 'not an ini file\n');
  await assert.rejects(readBoto({ HOME: h }), /~\/\.boto is damaged \(line 1/);
});
