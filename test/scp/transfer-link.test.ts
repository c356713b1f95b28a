// The transfer engine over a pool of SFTP channels (src/lib/transfer/pool.ts) to OpenSSH's sshd behind
// the shaped loopback link (test/helpers/link.ts: a delay each way and a rate cap), so requests really are
// outstanding on several channels at once. Correctness only: hashes, no temporary files, exact resume.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import type { Client, SFTPWrapper } from 'ssh2';
import { CancelledError } from '../../src/lib/errors.js';
import { transfer } from '../../src/lib/transfer/engine.js';
import { localFs } from '../../src/lib/transfer/fs.js';
import { leastBusy, sftpPool, wantsWidth, SPREAD_BYTES, type SftpPool } from '../../src/lib/transfer/pool.js';
import { sha256Tree as tree } from '../helpers/files.js';
import { startShapedLink, type ShapedLink } from '../helpers/link.js';
import { sshdUnavailable, startSshd, type Sshd } from '../helpers/sshd.js';

const skip = sshdUnavailable();
if (skip) console.log(`# SKIP transfers over the shaped link: ${skip}`);

let sshd: Sshd;
let link: ShapedLink;
let client: Client;
let remote: SftpPool;
const local = localFs();
let n = 0;
const scratch = () => {
  const d = join(sshd.dir, `t${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const openSftp = () => new Promise<SFTPWrapper>((resolve, reject) => client.sftp((e, s) => (e ? reject(e) : resolve(s))));

before(async () => {
  if (skip) return;
  sshd = (await startSshd())!;
  // 10 ms each way, 400 Mbit/s: a round trip long enough that one channel's window would be the limit.
  link = await startShapedLink({ target: { host: sshd.host, port: sshd.port }, delayMs: 10, rateBitsPerSec: 400e6 });
  client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ host: link.host, port: link.port, username: sshd.user, privateKey: sshd.privateKey });
  });
  remote = sftpPool(await openSftp(), 'lab');
  remote.widen(openSftp, 3);
  // Wait for the extra channels (a condition, not a sleep): every request below may use any of them.
  while (remote.channels() < 4) await new Promise((r) => setTimeout(r, 20));
});

after(async () => {
  client?.end();
  await link?.close();
  await sshd?.stop();
});

test('which lane takes the next request, and when a copy opens more channels (pure)', () => {
  assert.deepEqual(leastBusy([{ busy: 3 }, { busy: 1 }, { busy: 1 }]), { busy: 1 });
  assert.equal(leastBusy([{ busy: 0, id: 'a' }, { busy: 0, id: 'b' }]).id, 'a');
  assert.equal(wantsWidth(1, SPREAD_BYTES), true);
  assert.equal(wantsWidth(1, SPREAD_BYTES - 1), false);
  assert.equal(wantsWidth(5, 2 * 1024 * 1024), true);
  assert.equal(wantsWidth(5, 1000), false);
});

test('the link relays every connection: the SSH connection goes through it', { skip }, () => {
  assert.equal(link.connections(), 1);
});

test('the pool measures the link\'s round trip from its small requests: never less than the two delays', { skip }, async () => {
  assert.equal(local.rttMs(), 0);
  await remote.stat(sshd.dir);
  const rtt = remote.rttMs();
  assert.ok(rtt !== undefined && rtt >= 20, `round trip ${rtt} ms over 10 ms each way`);
});

test('a large file spread over four channels arrives identical, up and down, with no temporary file left', { skip }, async () => {
  const d = scratch();
  writeFileSync(join(d, 'big.bin'), randomBytes(24 * 1024 * 1024 + 4321));
  const up = await transfer([{ fs: local, path: join(d, 'big.bin') }], { fs: remote, path: join(d, 'up.bin') });
  assert.deepEqual(up.failed, []);
  const down = await transfer([{ fs: remote, path: join(d, 'up.bin') }], { fs: local, path: join(d, 'down.bin') });
  assert.deepEqual(down.failed, []);
  const sums = tree(d);
  assert.equal(sums['up.bin'], sums['big.bin']);
  assert.equal(sums['down.bin'], sums['big.bin']);
  assert.deepEqual(readdirSync(d).filter((f) => f.includes('.ec2scp-')), []);
});

test('many files in parallel over the pool, a folder each way, every hash equal', { skip }, async () => {
  const d = scratch();
  mkdirSync(join(d, 'src/sub'), { recursive: true });
  for (let i = 0; i < 12; i++) writeFileSync(join(d, 'src', i % 2 ? 'sub' : '', `f${i}.bin`), randomBytes(i * 300_000 + 17));
  writeFileSync(join(d, 'src/empty'), '');
  const up = await transfer([{ fs: local, path: join(d, 'src') }], { fs: remote, path: join(d, 'remote') }, { recursive: true, parallel: 6 });
  assert.deepEqual(up.failed, []);
  const down = await transfer([{ fs: remote, path: join(d, 'remote') }], { fs: local, path: join(d, 'back') }, { recursive: true, parallel: 6 });
  assert.deepEqual(down.failed, []);
  assert.deepEqual(tree(join(d, 'back')), tree(join(d, 'src')));
  assert.deepEqual(tree(join(d, 'remote')), tree(join(d, 'src')));
});

test('an upload cut off midway leaves only a .part; --resume with the default back-off finishes it exactly', { skip }, async () => {
  const d = scratch();
  const data = randomBytes(48 * 1024 * 1024);
  writeFileSync(join(d, 'big.bin'), data);
  const ac = new AbortController();
  let seen = 0;
  const cut = transfer([{ fs: local, path: join(d, 'big.bin') }], { fs: remote, path: join(d, 'dst.bin') }, {
    resume: true,
    signal: ac.signal,
    events: { bytes: (k) => (seen += k) >= 24 * 1024 * 1024 && ac.abort(new CancelledError('interrupted by test')) },
  });
  await assert.rejects(cut, CancelledError);
  assert.equal(existsSync(join(d, 'dst.bin')), false, 'nothing under the real name');
  const parts = readdirSync(d).filter((f) => /^\.dst\.bin\.ec2scp-[0-9a-f]{4}\.part$/.test(f));
  assert.equal(parts.length, 1);
  const notices: string[] = [];
  const s = await transfer([{ fs: local, path: join(d, 'big.bin') }], { fs: remote, path: join(d, 'dst.bin') }, { resume: true, events: { notice: (m) => notices.push(m) } });
  assert.deepEqual(s.failed, []);
  assert.ok(s.resumedBytes > 0, `resumed (${notices.join('; ')})`);
  assert.ok(readFileSync(join(d, 'dst.bin')).equals(data));
  assert.deepEqual(readdirSync(d).filter((f) => f.includes('.ec2scp-')), []);
});
