// The key responder (`ec2term-graphterm keys`, beside gtermserver on a server that accepts hosts) and its
// client (`ec2term-graphterm join`, a fleet host at boot), run from the generated start script with the
// real runtime's Python 2.7 and openssl: a host gets the key of NAME-<its instance id> for its signed
// identity document, and nothing else gets a key (docs/fleets.md, "How a replacement host joins").
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { graphtermConf, wrapperScript } from '../../src/lib/graphterm/wrapper.js';
import { identityKey, signedIdentity } from '../../src/sandbox/identity.js';
import type { Instance } from '../../src/sandbox/state.js';
import { findRuntime } from '../../src/sandbox/graphterm/runtime.js';
import { freePort } from '../helpers/sshd.js';

const RUNTIME = findRuntime(process.env);
const CODE = 'abcd-1234-ef56-7890';
const ACCOUNT = '123456789012';

/** What `gauth NAME` prints on the server: the key a host NAME joins with. */
const keyOf = (name: string) => {
  const k = createHmac('sha256', CODE.replace(/-/g, '')).update(`1|${name}`).digest('hex').slice(0, 16);
  return k.match(/.{4}/g)!.join('-');
};

const instance = (id: string, privateIp: string, over: Partial<Instance> = {}) =>
  ({ id, privateIp, ownerId: ACCOUNT, region: 'us-east-1', az: 'us-east-1a', imageId: 'ami-1', instanceType: 't3.micro', architecture: 'x86_64', ...over }) as Instance;

describe('the key responder and a fleet host asking it', { skip: RUNTIME ? false : 'no GraphTerm runtime: npm run graphterm:runtime' }, () => {
  let dir: string;
  let responder: ChildProcess;
  let port: number;
  let log = '';
  const wrapper = () => join(dir, 'ec2term-graphterm');
  const env = (conf: string, home: string) => ({ PATH: process.env.PATH!, HOME: home, EC2TERM_GRAPHTERM_CONF: conf, GRAPHTERM_BIN: RUNTIME!.bin });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ec2term-join-'));
    writeFileSync(wrapper(), wrapperScript(), { mode: 0o755 });
    const home = join(dir, 'server');
    mkdirSync(join(home, '.graphterm'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, '.graphterm', '@lab.test_gterm_auth.txt'), `${CODE}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'cert.pem'), identityKey(dir).certificate);
    const own = join(dir, 'server-identity');
    mkdirSync(own);
    const me = signedIdentity(dir, instance('i-0000000000000000a', '172.31.0.1'), '2026-01-01T00:00:00Z');
    writeFileSync(join(own, 'document'), me.document);
    writeFileSync(join(own, 'signature'), me.signature);
    // Which private address each loopback source stands for (on EC2 the source is the private address).
    writeFileSync(join(dir, 'peers'), '127.0.0.2 172.31.0.2\n127.0.0.3 172.31.0.3\n');
    port = await freePort();
    const conf = join(dir, 'server.conf');
    writeFileSync(conf, graphtermConf({ role: 'server', externalHost: 'lab.test', internalHost: '127.0.0.1', python: join(RUNTIME!.bin, 'python2'), joinCert: join(dir, 'cert.pem') })
      + `GTERM_JOIN_PORT=${port}\nGTERM_IDENTITY_DIR=${own}\nGTERM_PEER_MAP=${join(dir, 'peers')}\n`);
    // Its own process group: the wrapper's Python child is stopped with it (a killed bash alone orphans it,
    // and its open stderr would keep this file's process alive).
    responder = spawn('bash', [wrapper(), 'keys'], { env: env(conf, home), stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    responder.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    for (;;) {
      const up = await new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1', () => { s.end(); r(true); }); s.on('error', () => r(false)); });
      if (up) break;
      if (responder.exitCode !== null) throw new Error(`the responder exited: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(() => {
    try { process.kill(-responder.pid!, 'SIGTERM'); } catch { /* already gone */ }
    responder?.stderr?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A host `name` with identity `doc` asking from `source`: join's exit code, stderr and the key it stored. */
  const ask = (name: string, source: string, doc: { document: string; signature: string }) => {
    const home = mkdtempSync(join(dir, 'host-'));
    const ids = join(home, 'identity');
    mkdirSync(ids);
    writeFileSync(join(ids, 'document'), doc.document);
    writeFileSync(join(ids, 'signature'), doc.signature);
    const conf = join(home, 'host.conf');
    writeFileSync(conf, graphtermConf({ role: 'host', hostName: name, serverAddr: '127.0.0.1', python: join(RUNTIME!.bin, 'python2') })
      + `GTERM_JOIN_PORT=${port}\nGTERM_IDENTITY_DIR=${ids}\nGTERM_SOURCE_ADDR=${source}\n`);
    const r = spawnSync('bash', [wrapper(), 'join', '20'], { env: env(conf, home), encoding: 'utf8', timeout: 60_000 });
    const file = join(home, '.graphterm', `${name}_gterm_auth.txt`);
    return { code: r.status, stderr: r.stderr, key: existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined };
  };

  it('gives a fleet host the key of its own name for its signed identity document', async () => {
    const r = ask('node-0123456789abcdef0', '127.0.0.2', signedIdentity(dir, instance('i-0123456789abcdef0', '172.31.0.2'), '2026-01-01T00:00:00Z'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.key, keyOf('node-0123456789abcdef0'));
    // The responder's log is read once the event loop runs again (join ran synchronously).
    for (let i = 0; i < 100 && !/gave node-0123456789abcdef0/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(log, /gave node-0123456789abcdef0 its key \(asked from 127\.0\.0\.2\)/);
    assert.ok(!log.includes(r.key!) && !log.includes(CODE), 'neither the key nor the code is logged');
  });

  it('refuses every request that is not an instance of this account asking for its own name from its own address', () => {
    const other = mkdtempSync(join(dir, 'forger-'));
    const forged = signedIdentity(other, instance('i-0123456789abcdef1', '172.31.0.2'), '2026-01-01T00:00:00Z');
    const good = (over: Partial<Instance> = {}) => signedIdentity(dir, instance('i-0123456789abcdef1', '172.31.0.2', over), '2026-01-01T00:00:00Z');
    const edited = good();
    const cases: [string, string, string, { document: string; signature: string }, RegExp][] = [
      ['signed by another key', 'node-0123456789abcdef1', '127.0.0.2', forged, /signature does not verify/],
      ['document edited after signing', 'node-0123456789abcdef1', '127.0.0.2', { ...edited, document: edited.document.replace('172.31.0.2', '172.31.0.3') }, /signature does not verify/],
      ['another account', 'node-0123456789abcdef1', '127.0.0.2', good({ ownerId: '210987654321' }), /not of this server's account and region/],
      ['another region', 'node-0123456789abcdef1', '127.0.0.2', good({ region: 'eu-west-1' }), /not of this server's account and region/],
      ["another instance's name", 'node-0123456789abcdef2', '127.0.0.2', good(), /name is not this instance's/],
      ['not a GraphTerm host name', 'Node.x', '127.0.0.2', good(), /not a GraphTerm host name/],
      ["from another instance's address", 'node-0123456789abcdef1', '127.0.0.3', good(), /does not come from the instance's private address/],
    ];
    for (const [what, name, source, doc, re] of cases) {
      const r = ask(name, source, doc);
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, re, what);
      assert.equal(r.key, undefined, `${what}: no key stored`);
    }
  });
});
