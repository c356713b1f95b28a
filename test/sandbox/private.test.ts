// The sandbox is its owner's alone (issue 14, item 5): its own keys, a private folder, an authenticated
// admin API, bounded requests, a clean environment; and replies that never carry a raw control character.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CreateTagsCommand, DescribeImagesCommand, DescribeInstancesCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { SignatureV4 } from '@smithy/signature-v4';
import { adminRequest, ensureSandbox, stopSandbox } from '../../src/sandbox/client.js';
import { MAX_ADMIN_BODY_BYTES, MAX_API_BODY_BYTES, MAX_BULK_PER_CALL } from '../../src/sandbox/limits.js';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { ec2, errorOf, r53 } from './sdk.js';

const run = promisify(execFile);
/** The credentials every sandbox used to share (published in the source until issue 14). */
const OLD_FIXED = { accessKeyId: 'AKIAEC2TERMSANDBOX00', secretAccessKey: 'ec2term-sandbox-secret-key-not-a-real-secret0' };
const mode = (p: string) => lstatSync(p).mode & 0o777;

class NodeHash {
  private h;
  constructor(secret?: unknown) { this.h = secret ? createHmac('sha256', secret as string | Uint8Array) : createHash('sha256'); }
  update(d: string | Uint8Array) { this.h.update(d); }
  async digest() { return new Uint8Array(this.h.digest()); }
}

/** A signed EC2 Query POST whose reply is read as bytes: what is on the wire, before any parser. */
async function rawEc2(sb: TestSandbox, body: string): Promise<{ status: number; bytes: Buffer }> {
  const signer = new SignatureV4({ service: 'ec2', region: 'us-east-1', sha256: NodeHash, credentials: { accessKeyId: sb.info.accessKeyId, secretAccessKey: sb.info.secretAccessKey } });
  const u = new URL(sb.url);
  const req = await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
  const res = await fetch(sb.url + '/', { method: 'POST', headers: req.headers, body });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function runOne(c: EC2Client, tags: Record<string, string>): Promise<string> {
  const ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
  const res = await c.send(new RunInstancesCommand({
    ImageId: ami, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1,
    TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
  }));
  return res.Instances![0]!.InstanceId!;
}

describe('a sandbox of its own: keys, folder, admin API', () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox(); });
  after(async () => { await sb?.stop(); });

  it('makes its own random keys, kept in a 0600 secrets.json; the old published keys are refused', async () => {
    const secrets = JSON.parse(readFileSync(join(sb.dir, 'secrets.json'), 'utf8'));
    assert.equal(mode(join(sb.dir, 'secrets.json')), 0o600);
    assert.deepEqual([secrets.accessKeyId, secrets.secretAccessKey], [sb.info.accessKeyId, sb.info.secretAccessKey]);
    assert.match(sb.info.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.notEqual(sb.info.accessKeyId, OLD_FIXED.accessKeyId);
    const other = await startTestSandbox();
    try {
      assert.notEqual(other.info.accessKeyId, sb.info.accessKeyId);
      assert.notEqual(other.info.secretAccessKey, sb.info.secretAccessKey);
      assert.notEqual(other.info.adminToken, sb.info.adminToken);
    } finally { await other.stop(); }
    const e = await errorOf(ec2(sb, 'us-east-1', { credentials: OLD_FIXED }).send(new DescribeInstancesCommand({})));
    assert.equal(e.name, 'AuthFailure');
  });

  it('ec2term sandbox env prints the keys from secrets.json, never the admin token', async () => {
    const r = await runBin('ec2term', ['sandbox', 'env'], { env: sb.env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`export AWS_ACCESS_KEY_ID=${sb.info.accessKeyId}\n`));
    assert.ok(r.stdout.includes(`export AWS_SECRET_ACCESS_KEY=${sb.info.secretAccessKey}\n`));
    const json = await runBin('ec2term', ['sandbox', 'env', '--json'], { env: sb.env });
    assert.ok(!(r.stdout + json.stdout + r.stderr + json.stderr).includes(sb.info.adminToken));
  });

  it('keeps its folder 0700 and every file of its own 0600', async () => {
    await ec2(sb).send(new CreateTagsCommand({ Resources: [await runOne(ec2(sb), {})], Tags: [{ Key: 'k', Value: 'v' }] }));
    await adminRequest(sb.info, 'GET', 'state'); // state.json written by now (mutations flush before replying)
    assert.equal(mode(sb.dir), 0o700);
    const names = readdirSync(sb.dir);
    for (const f of ['state.json', 'server.json', 'secrets.json', 'sandbox.log']) assert.ok(names.includes(f), `${f} in ${names}`);
    for (const f of names) {
      const p = join(sb.dir, f);
      assert.equal(mode(p), statSync(p).isDirectory() ? 0o700 : 0o600, p);
    }
  });

  it('answers the admin API only with its token: none, wrong, or of another length gets 403 and changes nothing', async () => {
    await runOne(ec2(sb), {});
    // What a reset would empty: the instances and the request log (refused admin calls are not logged).
    type Summary = { regions: Record<string, { instances: Record<string, number> }>; requestsLogged: number };
    const kept = async () => {
      const st = await adminRequest(sb.info, 'GET', 'state') as Summary;
      const instances = Object.values(st.regions).reduce((n, r) => n + Object.values(r.instances).reduce((a, b) => a + b, 0), 0);
      return { instances, requestsLogged: st.requestsLogged };
    };
    const before = await kept();
    assert.ok(before.instances > 0 && before.requestsLogged > 0);
    for (const headers of [{}, { Authorization: `Bearer ${'x'.repeat(sb.info.adminToken.length)}` }, { Authorization: 'Bearer short' },
      { Authorization: sb.info.adminToken }, { Authorization: `Basic ${sb.info.adminToken}` }] as Record<string, string>[]) {
      for (const [method, path] of [['POST', 'reset'], ['GET', 'health'], ['GET', 'requests'], ['POST', 'bulk-instances']]) {
        const res = await fetch(`${sb.url}/_sandbox/${path}`, { method, headers: { ...headers, 'Content-Type': 'application/json' }, body: method === 'POST' ? '{"count":5}' : undefined });
        assert.equal(res.status, 403, `${method} ${path} with ${JSON.stringify(headers)}`);
        const body = await res.text();
        assert.ok(!body.includes(String(sb.info.pid)) && !body.includes(sb.dir), 'a refusal tells nothing about the sandbox');
      }
    }
    assert.deepEqual(await kept(), before);
    await assert.rejects(adminRequest({ url: sb.url, adminToken: 'nope' }, 'GET', 'health'), /needs its token/);
  });
});

describe('the state folder: created private, narrowed when older, refused when others could plant files', () => {
  const roots: string[] = [];
  const envs: NodeJS.ProcessEnv[] = [];
  const envFor = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, EC2TERM_SANDBOX_DIR: dir, EC2TERM_SANDBOX_DELAYS: 'zero' });
  const root = () => { const r = mkdtempSync(join(tmpdir(), 'ec2term-priv-')); roots.push(r); return r; };
  after(async () => {
    for (const e of envs) await stopSandbox(e).catch(() => {});
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('narrows a folder an older version left 0755 with 0644 files (state, keys) to 0700 / 0600', async () => {
    const dir = join(root(), 'state');
    mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, nextAddr: 1, regions: {}, zones: {}, changes: {} }), { mode: 0o644 });
    writeFileSync(join(dir, 'sandbox.log'), 'old log\n', { mode: 0o644 });
    writeFileSync(join(dir, 'keys', 'ec2term-us-east-1-lab.pem'), 'not a key\n', { mode: 0o644 });
    const env = envFor(dir); envs.push(env);
    await ensureSandbox(env);
    assert.deepEqual([mode(dir), mode(join(dir, 'keys')), mode(join(dir, 'state.json')), mode(join(dir, 'sandbox.log')), mode(join(dir, 'keys', 'ec2term-us-east-1-lab.pem'))],
      [0o700, 0o700, 0o600, 0o600, 0o600]);
  });

  it('refuses a folder others can write, and a symbolic link, with one line; nothing is started', async () => {
    const dir = join(root(), 'state');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    await assert.rejects(ensureSandbox(envFor(dir)), /^Error: the sandbox directory .* is writable by other users \(mode 777\): refusing to use it/);
    assert.ok(!existsSync(join(dir, 'secrets.json')), 'no secret written into it');
    const r = await runBin('ec2term', ['sandbox', 'start'], { env: { EC2TERM_SANDBOX_DIR: dir } });
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /writable by other users/);
    const link = join(root(), 'link');
    spawnSync('ln', ['-s', root(), link]);
    await assert.rejects(ensureSandbox(envFor(link)), /not a directory \(a symbolic link\?\)/);
  });

  it('refuses a folder owned by another user', { skip: process.getuid?.() === 0 ? false : 'needs root to give a folder to another user' }, async () => {
    const dir = join(root(), 'state');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    await assert.rejects(ensureSandbox(envFor(dir)), /belongs to user 65534, not to you \(0\): refusing to use it/);
  });
});

describe('bounds on every bulk or size parameter, answered AWS-style', () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'zero' }); });
  after(async () => { await sb?.stop(); });

  it('bulk-instances: 1..10000 per call (100,000 is refused)', async () => {
    for (const count of [0, MAX_BULK_PER_CALL + 1, 100_000, 1.5]) {
      await assert.rejects(adminRequest(sb.info, 'POST', 'bulk-instances', { count }), /count must be 1\.\.10000/);
    }
    await assert.rejects(adminRequest(sb.info, 'POST', 'bulk-instances', { count: 1, namePrefix: 'x'.repeat(201) }), /namePrefix/);
    assert.deepEqual(await adminRequest(sb.info, 'POST', 'bulk-instances', { count: 3 }), { created: 3 });
  });

  it('request bodies: EC2/Route 53 over 1 MiB get RequestEntityTooLarge, admin over 64 KiB 413', async () => {
    const big = await rawEc2(sb, `Action=DescribeRegions&Version=2016-11-15&Pad=${'a'.repeat(MAX_API_BODY_BYTES)}`);
    assert.equal(big.status, 413);
    assert.match(big.bytes.toString(), /<Code>RequestEntityTooLarge<\/Code>/);
    const res = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', headers: { Authorization: `Bearer ${sb.info.adminToken}` }, body: 'x'.repeat(MAX_ADMIN_BODY_BYTES + 1) });
    assert.equal(res.status, 413);
  });

  it('tags: 50 per resource, key 128 and value 256 characters (counted as characters, not UTF-16 units)', async () => {
    const c = ec2(sb);
    const id = await runOne(c, {});
    const tag = async (Tags: { Key: string; Value: string }[]) => (await errorOf(c.send(new CreateTagsCommand({ Resources: [id], Tags })))).name;
    assert.equal(await tag([{ Key: 'k'.repeat(129), Value: '' }]), 'InvalidParameterValue');
    assert.equal(await tag([{ Key: 'k', Value: 'v'.repeat(257) }]), 'InvalidParameterValue');
    assert.equal(await tag(Array.from({ length: 51 }, (_, n) => ({ Key: `k${n}`, Value: '' }))), 'TagLimitExceeded');
    await c.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: '🔑'.repeat(128), Value: '😀'.repeat(256) }] }));
    const ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    const tooMany = Array.from({ length: 51 }, (_, n) => ({ Key: `k${n}`, Value: '' }));
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: tooMany }] })))).name, 'TagLimitExceeded');
  });

  it('user data 16 KB before base64; RunInstances at most 100; MaxResults 5..1000; 200 filter values; 1000 list members', async () => {
    const c = ec2(sb);
    const ami = (await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }))).Images![0]!.ImageId!;
    const ud = (n: number) => Buffer.alloc(n, 'a').toString('base64');
    const e = await errorOf(c.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, UserData: ud(16 * 1024 + 1) })));
    assert.deepEqual([e.name, e.message], ['InvalidParameterValue', 'User data is limited to 16384 bytes']);
    await c.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 1, UserData: ud(16 * 1024) }));
    assert.equal((await errorOf(c.send(new RunInstancesCommand({ ImageId: ami, MinCount: 1, MaxCount: 101 })))).name, 'InstanceLimitExceeded');
    assert.equal((await errorOf(c.send(new DescribeInstancesCommand({ MaxResults: 1001 })))).name, 'InvalidParameterValue');
    const values = Array.from({ length: 201 }, (_, n) => `v${n}`);
    assert.equal((await errorOf(c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: values }] })))).name, 'FilterLimitExceeded');
    const ids = Array.from({ length: 1001 }, (_, n) => `i-${n.toString(16).padStart(17, '0')}`);
    assert.equal((await errorOf(c.send(new DescribeInstancesCommand({ InstanceIds: ids })))).name, 'InvalidParameterValue');
  });

  it('Route 53: at most 1000 changes and 32,000 characters of values in one batch', async () => {
    const c = r53(sb);
    const zone = (await c.send(new CreateHostedZoneCommand({ Name: 'bounds.test', CallerReference: 'bounds' }))).HostedZone!.Id!;
    const change = (name: string, value: string) => ({ Action: 'UPSERT' as const, ResourceRecordSet: { Name: name, Type: 'TXT' as const, TTL: 60, ResourceRecords: [{ Value: value }] } });
    const many = Array.from({ length: 1001 }, (_, n) => change(`r${n}.bounds.test`, '"x"'));
    assert.equal((await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: many } })))).name, 'InvalidChangeBatch');
    const long = Array.from({ length: 200 }, (_, n) => change(`l${n}.bounds.test`, `"${'y'.repeat(200)}"`));
    assert.equal((await errorOf(c.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zone, ChangeBatch: { Changes: long } })))).name, 'InvalidChangeBatch');
  });
});

describe('the background server sees a minimal environment', { skip: existsSync('/proc/self/environ') ? false : 'no /proc to read a process environment from' }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ec2term-env-'));
    env = {
      ...process.env, EC2TERM_SANDBOX_DIR: join(dir, 'state'), EC2TERM_SANDBOX_DELAYS: 'zero', LANG: 'C.UTF-8',
      AWS_ACCESS_KEY_ID: 'AKIAREALKEYSOFTHEUSER', AWS_SECRET_ACCESS_KEY: 'real-secret', AWS_SESSION_TOKEN: 'real-token',
      GITHUB_TOKEN: 'ghp_secret', SSH_AUTH_SOCK: '/tmp/agent.sock', NPM_TOKEN: 'npm-secret',
    };
  });
  after(async () => { await stopSandbox(env); rmSync(dir, { recursive: true, force: true }); });

  it('PATH, HOME, LANG and its own EC2TERM_SANDBOX_* settings; no AWS_* keys, tokens or agent socket', async () => {
    const info = await ensureSandbox(env);
    const seen = readFileSync(`/proc/${info.pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => kv.slice(0, kv.indexOf('=')));
    for (const k of seen) assert.match(k, /^(PATH|HOME|LANG|LC_ALL|LC_CTYPE|TZ|TMPDIR|XDG_CACHE_HOME|EC2TERM_GRAPHTERM_RUNTIME|EC2TERM_SANDBOX_[A-Z_]+)$/, `${k} leaked into the server`);
    for (const k of ['PATH', 'HOME', 'LANG', 'EC2TERM_SANDBOX_DIR', 'EC2TERM_SANDBOX_DELAYS']) assert.ok(seen.includes(k), `${k} kept`);
  });
});

describe('control characters in tags: stored as given, never raw on the wire', () => {
  let sb: TestSandbox;
  before(async () => { sb = await startTestSandbox({ delays: 'zero' }); });
  after(async () => { await sb?.stop(); });
  const hostile = 'a\x1b]0;title\x07b\x1b[2J\t\n\r\u202e\x00\x7f\x9b\ufffe';

  it('EC2 accepts any Unicode; the reply carries numeric references, the SDK reads the value back exactly', async () => {
    const c = ec2(sb);
    const id = await runOne(c, { Name: hostile, [`k\x1bey`]: 'v' });
    const got = (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.Tags!;
    assert.equal(got.find((t) => t.Key === 'Name')!.Value, hostile);
    assert.ok(got.some((t) => t.Key === 'k\x1bey'));
    const wire = await rawEc2(sb, `Action=DescribeInstances&Version=2016-11-15&InstanceId.1=${id}`);
    assert.equal(wire.status, 200);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(wire.bytes.toString('latin1'), /[\x00-\x08\x0b\x0c\x0e-\x1f]/, 'no raw C0 control byte');
    assert.ok(wire.bytes.toString().includes('a&#27;]0;title&#7;b&#27;[2J&#9;&#10;&#13;\u202e&#0;\x7f\x9b&#65534;'), wire.bytes.toString());
  });

  it('error messages that echo input are escaped the same way', async () => {
    const wire = await rawEc2(sb, `Action=DescribeInstances&Version=2016-11-15&InstanceId.1=${encodeURIComponent('i-\x1b[2J<x>')}`);
    assert.equal(wire.status, 400);
    assert.ok(wire.bytes.toString().includes('Invalid id: &quot;i-&#27;[2J&lt;x&gt;&quot;'), wire.bytes.toString());
  });

  const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).stdout.trim() || undefined;
  it('awscli: tags it writes with escapes are stored; newline, tab, CR and bidi controls read back exactly', { skip: AWS ? false : 'awscli not installed' }, async () => {
    const home = join(sb.dir, '..', 'home');
    mkdirSync(home, { recursive: true });
    const env = { PATH: process.env.PATH, HOME: home, AWS_ACCESS_KEY_ID: sb.info.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.info.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
    const aws = async (...args: string[]) => JSON.parse((await run(AWS!, ['--endpoint-url', sb.url, '--region', 'us-east-1', '--output', 'json', ...args], { env, timeout: 60_000 })).stdout || 'null');
    const c = ec2(sb);
    const printable = await runOne(c, {});
    const valid = 'one\ttwo\nthree\rfour\u202eevil';
    await aws('ec2', 'create-tags', '--resources', printable, '--tags', JSON.stringify([{ Key: 'Name', Value: valid }]));
    const d = await aws('ec2', 'describe-instances', '--instance-ids', printable);
    assert.equal(d.Reservations[0].Instances[0].Tags.find((t: { Key: string }) => t.Key === 'Name').Value, valid);
    const escaped = await runOne(c, {});
    await aws('ec2', 'create-tags', '--resources', escaped, '--tags', JSON.stringify([{ Key: 'Name', Value: 'x\x1b]52;c;aGk=\x07' }]));
    const sdk = (await c.send(new DescribeInstancesCommand({ InstanceIds: [escaped] }))).Reservations![0]!.Instances![0]!.Tags!;
    assert.equal(sdk.find((t) => t.Key === 'Name')!.Value, 'x\x1b]52;c;aGk=\x07');
  });
});

// The attacker is another local user who knows the port (they can scan loopback) but nothing else.
const ATTACKER = `
const fs = require('node:fs');
const [dir, url] = process.argv.slice(1);
const out = {};
const tryFs = (name, f) => { try { f(); out[name] = 'READ'; } catch (e) { out[name] = e.code; } };
tryFs('list', () => fs.readdirSync(dir));
for (const f of ['secrets.json', 'state.json', 'server.json', 'sandbox.log']) tryFs(f, () => fs.readFileSync(dir + '/' + f));
const old = 'AWS4-HMAC-SHA256 Credential=AKIAEC2TERMSANDBOX00/' + new Date().toISOString().slice(0, 10).replace(/-/g, '') + '/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64);
const amzDate = new Date().toISOString().replace(/[-:]|\\.\\d{3}/g, '');
(async () => {
  const post = (path, headers, body) => fetch(url + path, { method: 'POST', headers, body }).then(async (r) => r.status + ' ' + (await r.text()).replace(/\\s+/g, ' ').slice(0, 160));
  out.reset = await post('/_sandbox/reset', {}, '');
  out.bulk = await post('/_sandbox/bulk-instances', { Authorization: 'Bearer guess' }, '{"count":10000}');
  out.unsigned = await post('/', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'Action=CreateKeyPair&Version=2016-11-15&KeyName=pwn');
  out.oldKeys = await post('/', { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: old, 'X-Amz-Date': amzDate }, 'Action=CreateKeyPair&Version=2016-11-15&KeyName=pwn');
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('another local user', () => {
  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const uid = Number(nobody.stdout.trim());
  const skip = process.getuid?.() !== 0 ? 'not root: no second user to run as' : nobody.status !== 0 ? 'no user nobody on this machine' : false;
  let sb: TestSandbox;
  before(async () => { if (!skip) sb = await startTestSandbox({ delays: 'zero' }); });
  after(async () => { await sb?.stop(); });

  it('cannot read the state, keys or admin secret, nor use the admin API or EC2 without them', { skip }, async () => {
    const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    const r = spawnSync(process.execPath, ['-e', ATTACKER, sb.dir, sb.url], { uid, gid, encoding: 'utf8', cwd: '/', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    for (const f of ['list', 'secrets.json', 'state.json', 'server.json', 'sandbox.log']) assert.equal(out[f], 'EACCES', `${f}: ${out[f]}`);
    assert.match(out.reset!, /^403 /);
    assert.match(out.bulk!, /^403 /);
    assert.match(out.unsigned!, /^401 .*MissingAuthenticationToken/);
    assert.match(out.oldKeys!, /^401 .*AuthFailure/);
    const state = await adminRequest(sb.info, 'GET', 'state') as { regions: Record<string, { keyPairs: number }> };
    assert.ok(Object.values(state.regions).every((rg) => rg.keyPairs === 0), 'no key pair was made');
  });
});
