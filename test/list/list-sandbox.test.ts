// ec2list end to end: the real bin against a private sandbox, checked through the SDK, the request log,
// jq and the awscli; the picker is driven through a pseudo-terminal.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, cleanEnv, runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { createZone, describe as describeInstance, launch, launchWithRecord, recordNames, upsert, waitState } from './seed.js';

const MUTATING = /^(Run|Stop|Start|Terminate|Create|Delete|Import|Authorize|Revoke|Attach|Detach|Change)/;
const AWSCLI = '/usr/bin/aws';

let sb: TestSandbox;
let zoneId: string;
const DOMAIN = 'lab.example.test';

function list(args: string[], extra: Record<string, string> = {}) {
  return runBin('ec2list', ['--sandbox', ...args], { env: { ...sb.env, COLUMNS: '200', ...extra } });
}

async function mutatingRequests(): Promise<string[]> {
  const log = (await sb.admin('GET', '/_sandbox/requests')) as { requests: { action: string }[] };
  return log.requests.map((r) => r.action).filter((a) => MUTATING.test(a));
}

function awscli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = cleanEnv({ AWS_ACCESS_KEY_ID: sb.info.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.info.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1' });
  const r = spawnSync(AWSCLI, ['--endpoint-url', sb.url, '--output', 'json', ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  sb = await startTestSandbox();
  zoneId = await createZone(sb.url, DOMAIN);
});
after(async () => {
  await sb?.stop();
});

describe('ec2list against the sandbox', () => {
  const ids: Record<string, string> = {};

  it('shows 3 instances in 2 regions with --region all, and --json parses with jq', async () => {
    ids.lab = (await launchWithRecord(sb.url, 'us-east-1', 'lab', zoneId, DOMAIN)).InstanceId!;
    ids.web = (await launch(sb.url, 'us-east-1', 'web')).InstanceId!;
    ids.far = (await launch(sb.url, 'eu-west-1', 'far', { 'ec2term:managed': 'true' })).InstanceId!;

    const table = await list(['--region', 'all']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^REGION\s+NAME\s+DNS\s+ID\s+STATE/);
    for (const [name, id] of Object.entries(ids)) assert.ok(lines.some((l) => l.includes(name) && l.includes(id)), `${name} in\n${table.stdout}`);
    assert.ok(lines.some((l) => l.startsWith('eu-west-1') && l.includes('far')));
    assert.ok(lines.some((l) => l.includes(`lab.${DOMAIN}`)), 'the DNS record column');
    assert.doesNotMatch(table.stdout, /\u001b\[/, 'no colour when piped');

    const json = await list(['--region', 'all', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { name: string; region: string; dnsRecord: string | null }[];
    assert.deepEqual(rows.map((r) => `${r.region}/${r.name}`).sort(), ['eu-west-1/far', 'us-east-1/lab', 'us-east-1/web']);
    assert.equal(rows.find((r) => r.name === 'lab')!.dnsRecord, `lab.${DOMAIN}`);
    const jq = spawnSync('/usr/bin/jq', ['-r', '.[].name'], { input: json.stdout, encoding: 'utf8' });
    if (jq.error) {
      console.log('# jq not runnable here; skipped the jq check');
    } else {
      assert.equal(jq.status, 0, jq.stderr);
      assert.deepEqual(jq.stdout.trim().split('\n').sort(), ['far', 'lab', 'web']);
    }

    const tsv = await list(['--region', 'us-east-1,eu-west-1', '--output', 'tsv']);
    assert.equal(tsv.code, 0, tsv.stderr);
    const [head, ...body] = tsv.stdout.trim().split('\n');
    assert.equal(head.split('\t').slice(0, 5).join(','), 'region,name,dnsRecord,id,state');
    assert.equal(body.length, 3);
    assert.ok(body.every((l) => l.split('\t').length === head.split('\t').length));
  });

  it('filters by wildcard PATTERN; one that matches nothing is named and makes the status 3 (like ls a nosuch)', async () => {
    const r = await list(['--json', 'l*', 'fa?']);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name), ['lab']);
    assert.match(r.stderr, /no instance matches "fa\?"/);
    const ok = await list(['--json', 'l*', 'w?b']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('reports a failing region, shows the rest, and exits 1', async () => {
    const r = await list(['--region', 'us-east-1,sa-east-1', '--json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sa-east-1/);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name).sort(), ['lab', 'web']);
  });

  it('refuses to terminate without --yes and no terminal: exit 2, nothing sent that changes anything', async () => {
    await sb.admin('DELETE', '/_sandbox/requests');
    const r = await list(['--terminate', 'lab']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--yes/);
    assert.deepEqual(await mutatingRequests(), []);
    const r2 = await list(['--terminate-all']);
    assert.equal(r2.code, 2);
    const r3 = await list(['--stop']);
    assert.equal(r3.code, 2, 'a picker needs a terminal');
    assert.deepEqual(await mutatingRequests(), []);
    assert.equal((await describeInstance(sb.url, 'us-east-1', ids.lab))?.State?.Name, 'running');
    assert.deepEqual(await recordNames(sb.url, zoneId), [`lab.${DOMAIN}`]);
  });

  it('--dry-run only reports', async () => {
    await sb.admin('DELETE', '/_sandbox/requests');
    const r = await list(['--terminate-all', '--dry-run', '--region', 'all']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Would terminate 2 instances/);
    assert.match(r.stdout, /skipping web .*not made by ec2term/);
    assert.match(r.stdout, new RegExp(`delete DNS record lab\\.${DOMAIN.replace(/\./g, '\\.')} if it still points at`));
    assert.deepEqual(await mutatingRequests(), []);
  });

  it('--terminate lab --yes removes the record and the instance (and the awscli agrees)', async () => {
    const r = await list(['--terminate', 'lab', '--yes', '--wait', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { results: { id: string; ok: boolean; done: string[]; state: string }[] };
    assert.equal(out.results.length, 1);
    assert.equal(out.results[0].id, ids.lab);
    assert.equal(out.results[0].state, 'terminated');
    assert.ok(out.results[0].done.some((d) => /DNS record .* deleted/.test(d)), out.results[0].done.join('; '));
    assert.equal((await describeInstance(sb.url, 'us-east-1', ids.lab))?.State?.Name, 'terminated');
    assert.deepEqual(await recordNames(sb.url, zoneId), []);
    if (!existsSync(AWSCLI)) {
      console.log('# SKIP awscli check: /usr/bin/aws is not installed');
      return;
    }
    const ec2 = awscli(['ec2', 'describe-instances', '--instance-ids', ids.lab]);
    assert.equal(ec2.status, 0, ec2.stderr);
    assert.equal(JSON.parse(ec2.stdout).Reservations[0].Instances[0].State.Name, 'terminated');
    const r53 = awscli(['route53', 'list-resource-record-sets', '--hosted-zone-id', zoneId]);
    assert.equal(r53.status, 0, r53.stderr);
    const names = (JSON.parse(r53.stdout).ResourceRecordSets as { Name: string }[]).map((x) => x.Name);
    assert.ok(!names.includes(`lab.${DOMAIN}.`), names.join(', '));
  });

  it('keeps a record that points at another instance now', async () => {
    const old = await launchWithRecord(sb.url, 'us-east-1', 'old', zoneId, DOMAIN);
    await upsert(sb.url, zoneId, `old.${DOMAIN}`, 'A', '203.0.113.9'); // the name moved on
    const r = await list(['--kill', old.InstanceId!, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kept: it now points at 203\.0\.113\.9/);
    assert.ok((await recordNames(sb.url, zoneId)).includes(`old.${DOMAIN}`));
    const state = (await describeInstance(sb.url, 'us-east-1', old.InstanceId!))?.State?.Name;
    assert.ok(state === 'shutting-down' || state === 'terminated', state);
  });

  it('an unknown name exits 3 with nothing changed', async () => {
    await sb.admin('DELETE', '/_sandbox/requests');
    const r = await list(['--terminate', 'nosuch', '--yes']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /no instance matches "nosuch"/);
    assert.deepEqual(await mutatingRequests(), []);
  });

  it('--expired --yes removes exactly the expired managed instances', async () => {
    const past = new Date(Date.now() - 3600_000).toISOString();
    const future = new Date(Date.now() + 3600_000).toISOString();
    const expired = await launch(sb.url, 'us-east-1', 'ci-1', { 'ec2term:managed': 'true', 'ec2term:expires-at': past });
    const expired2 = await launch(sb.url, 'eu-west-1', 'ci-2', { 'ec2term:managed': 'true', 'ec2term:expires-at': past });
    const fresh = await launch(sb.url, 'us-east-1', 'ci-3', { 'ec2term:managed': 'true', 'ec2term:expires-at': future });
    const foreign = await launch(sb.url, 'us-east-1', 'ci-4', { 'ec2term:expires-at': past });
    await waitState(sb.url, 'us-east-1', fresh.InstanceId!, 'running');

    const shown = await list(['--region', 'all', '--json', 'ci-*']);
    const rows = JSON.parse(shown.stdout) as { name: string; expired: boolean; expiresInSeconds: number }[];
    assert.deepEqual(rows.filter((r) => r.expired).map((r) => r.name).sort(), ['ci-1', 'ci-2', 'ci-4']);

    const r = await list(['--expired', '--yes', '--wait', '--region', 'all', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { results: { id: string; ok: boolean }[] };
    assert.deepEqual(out.results.map((x) => x.id).sort(), [expired.InstanceId, expired2.InstanceId].sort());
    assert.ok(out.results.every((x) => x.ok));
    assert.equal((await describeInstance(sb.url, 'us-east-1', expired.InstanceId!))?.State?.Name, 'terminated');
    assert.equal((await describeInstance(sb.url, 'eu-west-1', expired2.InstanceId!))?.State?.Name, 'terminated');
    assert.equal((await describeInstance(sb.url, 'us-east-1', fresh.InstanceId!))?.State?.Name, 'running');
    assert.notEqual((await describeInstance(sb.url, 'us-east-1', foreign.InstanceId!))?.State?.Name, 'terminated');
  });

  it('--health shows an injected scheduled event with its dates', async () => {
    await waitState(sb.url, 'us-east-1', ids.web, 'running');
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'scheduled-event', instanceId: ids.web, code: 'instance-retirement' }] });
    const r = await list(['--health', 'web']);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.includes('instance-retirement'));
    assert.ok(line, r.stdout);
    assert.match(line!, /\d{4}-\d\d-\d\d \d\d:\d\dZ \.\. \d{4}-\d\d-\d\d/);
    assert.match(r.stdout, /ok, 1 event/);
    const j = await list(['--health', '--json', 'web']);
    const [row] = JSON.parse(j.stdout) as { health: { summary: string; events: { code: string; notBefore: string }[] } }[];
    assert.equal(row.health.events[0].code, 'instance-retirement');
    assert.ok(Date.parse(row.health.events[0].notBefore) > Date.now());
    await sb.admin('DELETE', '/_sandbox/faults');
  });

  it('--volumes, --snapshot, --snapshots and --delete-snapshot', async () => {
    const v = await list(['--volumes', '--json', 'web']);
    const [row] = JSON.parse(v.stdout) as { volumes: { volumeId: string; device: string; sizeGiB: number }[] }[];
    assert.ok(row.volumes.length >= 1);
    assert.ok(row.volumes[0].volumeId.startsWith('vol-'));
    const vt = await list(['--volumes', 'web']);
    assert.match(vt.stdout, /VOLUME\s+DEVICE\s+SIZE/);

    const s = await list(['--snapshot', 'web', '--wait', '--json']);
    assert.equal(s.code, 0, s.stderr);
    const snap = (JSON.parse(s.stdout) as { results: { snapshots: string[] }[] }).results[0].snapshots[0];
    assert.match(snap, /^snap-/);
    const listed = await list(['--snapshots', '--json']);
    const snaps = JSON.parse(listed.stdout) as { snapshotId: string; instanceName: string; managed: boolean; state: string }[];
    assert.deepEqual(snaps.map((x) => [x.snapshotId, x.instanceName, x.managed, x.state]), [[snap, 'web', true, 'completed']]);

    const refused = await list(['--delete-snapshot', snap]);
    assert.equal(refused.code, 2);
    const del = await list(['--delete-snapshot', snap, '--yes']);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(JSON.parse((await list(['--snapshots', '--json'])).stdout), []);
  });

  it('--watch redraws with new instances until Ctrl-C, then exits 0 quietly', async () => {
    const child = spawn(process.execPath, [join(BIN, 'ec2list'), '--sandbox', '--watch', '--interval', '1s'], {
      env: cleanEnv({ ...sb.env, COLUMNS: '200' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const draws = () => stdout.split('\n').filter((l) => /^every 1s: \d+ instances? in us-east-1 /.test(l));
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(ok(), `${what}; stdout so far:\n${stdout}\nstderr:\n${stderr}`);
    };
    try {
      await until('a first draw', () => draws().length >= 1);
      assert.doesNotMatch(stdout, /watched\b/);
      await launch(sb.url, 'us-east-1', 'watched');
      const seen = draws().length;
      await until('a later draw that shows the new instance', () => draws().length > seen && stdout.split(/^every /m).at(-1)!.includes('watched'));
      assert.doesNotMatch(stdout, /\u001b\[/, 'no escape codes when piped');
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.doesNotMatch(stderr, /\n\s+at .*[.:]\d+/, 'no stack trace');
  });

  it('offers a picker on a terminal (driven through a pseudo-terminal), then confirms', async (t) => {
    const picky = await launch(sb.url, 'us-east-1', 'picky');
    await waitState(sb.url, 'us-east-1', picky.InstanceId!, 'running');
    const py = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' });
    if (py.status !== 0) return t.skip('python3 with pty is not available');
    const env = cleanEnv({ ...sb.env, COLUMNS: '120', LINES: '40', TERM: 'xterm' });
    // A wildcard picks among its matches (a plain name would name the instance: no picker).
    const r = await inPty([process.execPath, join(BIN, 'ec2list'), '--sandbox', 'pick*', '--stop'], env, [
      ['Which instances to stop', ' '], // select the only candidate
      ['picky', '\r'],
      ['Stop picky', 'y'],
      ['y', '\r'],
    ]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Will stop 1 instance/);
    const state = (await describeInstance(sb.url, 'us-east-1', picky.InstanceId!))?.State?.Name;
    assert.ok(state === 'stopping' || state === 'stopped', state);
  });
});

/** Runs argv in a pseudo-terminal (python3's pty module); for each [waitFor, send] waits for the text, then types. */
function inPty(argv: string[], env: Record<string, string>, steps: [string, string][]): Promise<{ code: number | null; output: string }> {
  const script = `
import json, os, pty, select, sys, time
argv = json.loads(sys.argv[1]); steps = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
buf = b''
def read(deadline):
    global buf
    r, _, _ = select.select([fd], [], [], max(0, min(0.2, deadline - time.time())))
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        buf += data
    return True
pos = 0
for want, send in steps:
    deadline = time.time() + 30
    while want.encode() not in buf[pos:] and time.time() < deadline:
        if not read(deadline):
            break
    pos = buf.find(want.encode(), pos) + len(want)
    time.sleep(0.15)
    os.write(fd, send.encode())
deadline = time.time() + 60
while time.time() < deadline and read(deadline):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(buf.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script, JSON.stringify(argv), JSON.stringify(steps)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
