// ec2launch end to end: the real bins against a private sandbox. The "done when":
// a server with its setup marker and DNS record (and ec2ssh to it), a dry run that changes nothing,
// a failure after RunInstances that leaves nothing behind, and bad input rejected before any request.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBin } from '../helpers/run.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

interface Summary {
  regions: Record<string, { instances: Record<string, number>; keyPairs: number; securityGroups: number }>;
  hostedZones: number;
  records: number;
}
interface LogEntry { service: string; action: string; status: number; errorCode?: string }

describe('ec2launch against the sandbox', { timeout: 240_000 }, () => {
  let sb: TestSandbox;
  const state = async () => (await sb.admin('GET', '/_sandbox/state')) as Summary;
  const requests = async () => ((await sb.admin('GET', '/_sandbox/requests')) as { requests: LogEntry[] }).requests;
  const live = (s: Summary) => Object.entries(s.regions['us-east-1']?.instances ?? {}).filter(([st]) => st !== 'terminated').reduce((n, [, c]) => n + c, 0);
  const launch = (args: string[], timeoutMs = 90_000) => runBin('ec2launch', args, { env: sb.env, timeoutMs });

  before(async () => {
    sb = await startTestSandbox({ delays: 'fast' });
  });
  after(async () => {
    await sb?.stop();
  });

  it('bad names and option values exit 2 before any request', async () => {
    await sb.admin('DELETE', '/_sandbox/requests');
    const cases = [
      ['Bad_Name'],
      ['lab;id'],
      ['--type', 'x', 'lab'],
      ['--count', 'lots', 'lab'],
      ['--allow-from', '1.2.3.4', 'lab'],
      ['--ttl', 'forever', 'lab'],
      ['--install', 'a;b', 'lab'],
      ['--wait', 'maybe', 'lab'],
      ['--auth-type', 'root', 'lab'],
      [],
    ];
    for (const args of cases) {
      const r = await launch(['--sandbox', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^ec2launch: /);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    }
    assert.deepEqual(await requests(), [], 'no request reached the sandbox');
  });

  it('a missing zone is reported (exit 3) with the --create-zone hint, and nothing is created', async () => {
    const { requestsLogged: _a, ...before } = await state() as Summary & { requestsLogged: number };
    const r = await launch(['--sandbox', '--yes', 'lab.myterm.test']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no Route 53 hosted zone for myterm\.test/);
    assert.match(r.stderr, /--create-zone/);
    const { requestsLogged: _b, ...after } = await state() as Summary & { requestsLogged: number };
    assert.deepEqual(after, before);
  });

  let instanceId = '';
  it('--create-zone lab.myterm.test --pylab: a running server, setup marker, DNS record; ec2ssh works', async () => {
    const r = await launch(['--sandbox', '--yes', '--create-zone', '--json', 'lab.myterm.test', '--pylab']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    instanceId = out.instanceId;
    assert.match(instanceId, /^i-[0-9a-f]{17}$/);
    const host = out.instances[0];
    assert.equal(host.name, 'lab.myterm.test');
    assert.equal(host.dnsName, 'lab.myterm.test');
    assert.match(host.publicIp, /^127\.\d+\.\d+\.\d+$/);
    assert.match(host.setupStatus, /^ok: /);
    assert.equal(host.url, 'http://lab.myterm.test/', 'port 80 is redirected to 8900 on the instance');
    assert.equal(host.ssh, 'ec2ssh --sandbox ubuntu@lab.myterm.test');
    assert.equal(out.zone.created, true);
    assert.ok(out.zone.nameServers.length > 0);
    assert.equal(out.keyPair.created, true);
    assert.equal(out.securityGroup.name, 'ec2term-graphterm-server');
    // Phases are keyed by a stable id for scripts (the label is for people and may change).
    const phases = out.phases as { id: string; host: string | null; label: string; seconds: number }[];
    assert.deepEqual(phases.map((p) => p.id), ['hosted-zone', 'running', 'dns', 'ssh-port', 'ssh-login', 'setup'], JSON.stringify(phases));
    for (const p of phases) {
      assert.deepEqual(Object.keys(p), ['id', 'host', 'label', 'seconds']);
      assert.ok(typeof p.label === 'string' && p.label.length > 0 && typeof p.seconds === 'number');
      assert.equal(p.host, p.id === 'hosted-zone' ? null : 'lab.myterm.test');
    }
    assert.equal(out.authCode, '(hidden: use --show-secrets)', 'the auth code is not in --json');
    assert.ok(!r.stderr.includes(out.authCode));
    // The private key was saved 0600 in the sandbox's key folder, not in ~/.ssh.
    assert.ok(out.keyPair.keyFile.startsWith(sb.dir));
    // Route 53 in the sandbox holds the record, tagged on the instance.
    const list = await runBin('ec2list', ['--sandbox', '--json'], { env: sb.env });
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.stringify(JSON.parse(list.stdout));
    assert.ok(listed.includes(instanceId) && listed.includes('lab.myterm.test'));
    const ssh = await runBin('ec2ssh', ['--sandbox', 'ubuntu@lab.myterm.test', 'cat', 'SETUP_STATUS'], { env: sb.env, timeoutMs: 60_000 });
    assert.equal(ssh.code, 0, ssh.stderr);
    assert.match(ssh.stdout, /^ok: /);
    // The auth code arrived over SSH into a 0600 file (never in user-data).
    const code = await runBin('ec2ssh', ['--sandbox', 'ubuntu@lab.myterm.test', 'stat -c %a .graphterm/@lab.myterm.test_gterm_auth.txt'], { env: sb.env, timeoutMs: 60_000 });
    assert.equal(code.stdout.trim(), '600', code.stderr);
  });

  it('the same name again is refused with exit 2 (a retry of the same command continues instead)', async () => {
    const r = await launch(['--sandbox', '--yes', '--pylab', '--auth-code', 'none', 'lab.myterm.test']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /already exists/);
    assert.match(r.stderr, /--replace/);
    const again = await launch(['--sandbox', '--yes', '--json', 'lab.myterm.test', '--pylab']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).instanceId, instanceId, 'same client token: EC2 returned the first instance');
  });

  it('the auth code: first writer wins on the instance; a re-run reports it, --replace gets a fresh one', async () => {
    const args = ['--sandbox', '--yes', '--json', '--show-secrets', 'code'];
    const onHost = async () => {
      // GraphTerm's own file, named after the external host (the public DNS name: no domain here), dashed.
      const r = await runBin('ec2ssh', ['--sandbox', 'code', 'cat .graphterm/@*_gterm_auth.txt'], { env: sb.env, timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().replace(/-/g, '');
    };
    const first = await launch(args);
    assert.equal(first.code, 0, first.stderr);
    const one = JSON.parse(first.stdout);
    assert.match(one.authCode, /^[A-Za-z0-9]{16}$/);
    assert.equal(await onHost(), one.authCode);
    assert.doesNotMatch(first.stderr, /already had an auth code/);
    // The same command again continues with the same instance and reports the code GraphTerm runs with.
    const again = await launch(args);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).instanceId, one.instanceId);
    assert.equal(JSON.parse(again.stdout).authCode, one.authCode);
    assert.match(again.stderr, /code already had an auth code .*keeping it/);
    assert.ok(!again.stderr.includes(one.authCode), 'the code is not on stderr');
    // A code given for an instance that has one already is not applied, and the run says so (no code shown).
    const given = await launch(['--auth-code', 'GivenCode123', ...args]);
    assert.equal(given.code, 0, given.stderr);
    assert.equal(JSON.parse(given.stdout).instanceId, one.instanceId);
    assert.equal(JSON.parse(given.stdout).authCode, one.authCode);
    assert.match(given.stderr, /warning: code already had an auth code .*--auth-code was not applied/);
    assert.ok(!given.stderr.includes('GivenCode123') && !given.stderr.includes(one.authCode));
    assert.equal(await onHost(), one.authCode);
    // --replace (another request, so another client token): a new instance, a fresh code.
    const fresh = await launch(['--replace', '--type', 't3.micro', ...args]);
    assert.equal(fresh.code, 0, fresh.stderr);
    const two = JSON.parse(fresh.stdout);
    assert.notEqual(two.instanceId, one.instanceId);
    assert.match(two.authCode, /^[A-Za-z0-9]{16}$/);
    assert.notEqual(two.authCode, one.authCode);
    assert.equal(await onHost(), two.authCode);
    assert.doesNotMatch(fresh.stderr, /already had an auth code/);
  });

  it('--dry-run leaves the sandbox state byte-for-byte unchanged and sends only reads and DryRun checks', async () => {
    const file = join(sb.dir, 'state.json');
    await new Promise((r) => setTimeout(r, 500)); // let the sandbox flush its state
    const before = readFileSync(file);
    await sb.admin('DELETE', '/_sandbox/requests');
    const keysBefore = existsSync(join(sb.dir, 'keys')) ? readFileSync(join(sb.dir, 'keys', 'ec2term-us-east-1-ec2term.pem')) : undefined;
    for (const args of [['lab2.myterm.test', '--pylab'], ['--key', 'newkey', '--allow-from', '203.0.113.7/32', '--accept-hosts', 'other'], ['--create-zone', 'x.newzone.test']]) {
      const r = await launch(['--sandbox', '--dry-run', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Dry run: nothing was changed/);
    }
    const json = await launch(['--sandbox', '--dry-run', '--json', 'lab3.myterm.test']);
    const plan = JSON.parse(json.stdout);
    assert.equal(plan.dryRun, true);
    assert.equal(plan.image.name, 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20250516', 'jammy: the last LTS with Python 2.7');
    assert.match(plan.image.support, /standard support until 2027-04, then Ubuntu Pro ESM/);
    assert.match(plan.runInstancesCheck, /^ok/);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(readFileSync(file).equals(before), 'state.json unchanged');
    assert.ok(!existsSync(join(sb.dir, 'keys', 'ec2term-us-east-1-newkey.pem')), 'no key file written');
    if (keysBefore) assert.ok(readFileSync(join(sb.dir, 'keys', 'ec2term-us-east-1-ec2term.pem')).equals(keysBefore));
    const log = await requests();
    assert.ok(log.length > 0);
    const writes = log.filter((e) => !/^(Describe|List|Get)/.test(e.action) && e.errorCode !== 'DryRunOperation');
    assert.deepEqual(writes, [], 'only reads and DryRun checks');
    assert.ok(log.some((e) => e.action === 'RunInstances' && e.errorCode === 'DryRunOperation'));
  });

  it('a failure after RunInstances removes the instance, record, group and key pair this run created', async () => {
    const before = await state();
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'setup-error', name: 'fail.myterm.test' }] });
    const r = await launch(['--sandbox', '--yes', '--key', 'failkey', '--connect-to', 'lab.myterm.test', 'fail.myterm.test']);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 1, r.stderr);
    // A simulated primary has no GraphTerm start script to ask for the host's key; a real one (the
    // sandbox with the GraphTerm runtime) gives it, and then the injected setup error stops the launch.
    assert.match(r.stderr, /setup of fail\.myterm\.test failed|on lab\.myterm\.test: ec2term-graphterm hostkey failed/);
    assert.match(r.stderr, /removed DNS record fail\.myterm\.test/);
    assert.match(r.stderr, /terminated instance i-/);
    assert.match(r.stderr, /removed security group ec2term-graphterm-host/);
    assert.match(r.stderr, /removed key pair failkey/);
    const after = await state();
    assert.equal(live(after), live(before), 'no live instance left');
    assert.equal(after.regions['us-east-1']!.keyPairs, before.regions['us-east-1']!.keyPairs);
    assert.equal(after.regions['us-east-1']!.securityGroups, before.regions['us-east-1']!.securityGroups);
    assert.equal(after.records, before.records);
    assert.equal(after.hostedZones, before.hostedZones);
    assert.ok(!existsSync(join(sb.dir, 'keys', 'ec2term-us-east-1-failkey.pem')), 'the key file is gone too');
  });

  it('--keep-on-failure keeps them and says so', async () => {
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'setup-error', name: 'kept' }] });
    const r = await launch(['--sandbox', '--yes', '--keep-on-failure', '--auth-code', 'none', 'kept']);
    await sb.admin('DELETE', '/_sandbox/faults');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /kept instance i-[0-9a-f]+ \(kept\)/);
  });

  it('--user-data prints the script without any request', async () => {
    await sb.admin('DELETE', '/_sandbox/requests');
    const r = await launch(['--sandbox', '--user-data', '--pylab', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^#!\/bin\/bash\n/);
    assert.deepEqual(await requests(), []);
  });
});
