// ec2launch's launch logic as specifications, run in-process through the real runner against EC2 and
// Route 53 held in memory (test/helpers/memory-aws.ts, memory-ec2-resources.ts) with a fake clock:
// preflight, adopting or creating key pairs and security groups, races with a concurrent run, undo after
// a failed launch, and the dry run. --auth-type none --wait running keeps SSH out of it (no secret to
// deliver); the sandbox scenarios (launch-sandbox, reliability/cleanup) prove the same over HTTP and SSH.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fakeClock } from '../../src/lib/clock.js';
import { TAGS } from '../../src/lib/instances.js';
import { CANONICAL_OWNER, planLaunch } from '../../src/commands/launch/plan.js';
import { runInProcess } from '../helpers/inprocess.js';
import { addInstance, memoryDeps, memoryWorld, type MemoryWorld } from '../helpers/memory-aws.js';
import { addGroup, awsFault } from '../helpers/memory-ec2-resources.js';
import { tempHome } from '../helpers/run.js';

const BASE = ['--auth-type', 'none', '--wait', 'running'];
const SSH_22 = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

function world(): MemoryWorld {
  const w = memoryWorld();
  w.images.push({ ImageId: 'ami-0123456789abcdef0', Name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20260101', State: 'available', Architecture: 'x86_64', RootDeviceName: '/dev/sda1', CreationDate: '2026-01-01T00:00:00.000Z', OwnerId: CANONICAL_OWNER });
  return w;
}

interface Launched {
  code: number | null;
  stdout: string;
  stderr: string;
  json: { instanceId?: string; keyPair?: { created: boolean; keyFile: string | null }; securityGroup?: { id: string; created: boolean; opened: string[] } };
}

async function launch(w: MemoryWorld, args: string[], home = tempHome()): Promise<Launched> {
  const r = await runInProcess('ec2launch', ['--json', ...args], { deps: { ...memoryDeps(w), clock: fakeClock() }, env: { HOME: home } });
  return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : {} };
}

/** The --allow-from group's name (it carries a hash of its rules). */
const allowFromGroup = (cidr: string) => planLaunch({ name: 'lab', authType: 'none', wait: 'running', allowFrom: cidr }).securityGroup.name;
const writes = (w: MemoryWorld) => w.calls.filter((c) => !c.startsWith('DryRun '));
const keyFileOf = (home: string) => join(home, '.ssh', 'ec2term-us-east-1-ec2term.pem');

describe('ec2launch in-process: preflight', () => {
  const cases: { name: string; setup: (w: MemoryWorld) => void; args: string[]; code: number; stderr: RegExp }[] = [
    { name: 'a live instance of the same name is refused (exit 2), nothing written', setup: (w) => void addInstance(w, 'lab'), args: ['lab'], code: 2, stderr: /an instance named lab already exists: i-\w+ \(running\).*--replace/s },
    { name: '--replace without a terminal needs --yes', setup: (w) => void addInstance(w, 'lab'), args: ['--replace', 'lab'], code: 2, stderr: /--replace would terminate lab .*add --yes/ },
    { name: 'a domain without its hosted zone is NotFound (exit 3)', setup: () => {}, args: ['lab.nozone.test'], code: 3, stderr: /no Route 53 hosted zone for nozone\.test.*--create-zone/s },
    { name: 'an --ami that does not exist is NotFound (exit 3)', setup: () => {}, args: ['--ami', 'ami-0000000000000dead', 'lab'], code: 3, stderr: /no image ami-0000000000000dead in us-east-1/ },
    { name: '--no-key-pair with an image without the Instance Connect agent is refused', setup: (w) => void w.images.push({ ImageId: 'ami-0000000000000beef', Name: 'debian-12-amd64', State: 'available' }), args: ['--no-key-pair', '--ami', 'ami-0000000000000beef', 'lab'], code: 2, stderr: /has no EC2 Instance Connect agent/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const w = world();
      c.setup(w);
      const before = [...w.calls];
      const r = await launch(w, [...BASE, ...c.args]);
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.stderr);
      assert.deepEqual(w.calls, before, 'nothing written');
      assert.equal(w.ec2.keyPairs.size + w.ec2.groups.size, 0);
    });
  }

  it('--replace --yes terminates the old instance first, then launches a new one', async () => {
    const w = world();
    const old = addInstance(w, 'lab');
    const r = await launch(w, [...BASE, '--replace', '--yes', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(writes(w)[0], `TerminateInstances ${old.id}`);
    assert.notEqual(r.json.instanceId, old.id);
    assert.equal(w.instances.get(r.json.instanceId!)?.state, 'running');
  });

  it('the same command again adopts the instance the first launched (same client token): no second instance', async () => {
    const w = world();
    const home = tempHome();
    const first = await launch(w, [...BASE, 'lab'], home);
    assert.equal(first.code, 0, first.stderr);
    const again = await launch(w, [...BASE, 'lab'], home);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.json.instanceId, first.json.instanceId);
    assert.match(again.stderr, /launched earlier by the same command \(same client token\); continuing with it/);
    assert.equal([...w.instances.values()].filter((i) => i.name === 'lab').length, 1);
    assert.deepEqual([again.json.keyPair?.created, again.json.securityGroup?.created], [false, false], 'the second run adopts both');
  });

  it('--ttl tags the instance with its expiry from the launch time', async () => {
    const w = world();
    const r = await launch(w, [...BASE, '--ttl', '4h', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(w.instances.get(r.json.instanceId!)?.tags[TAGS.expiresAt], '2026-01-01T04:00:00.000Z');
  });
});

describe('ec2launch in-process: key pairs and security groups (adopt or create)', () => {
  it('a fresh account: creates the key pair (private key saved 0600) and the group with its rule', async () => {
    const w = world();
    const home = tempHome();
    const r = await launch(w, [...BASE, 'lab'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(writes(w).map((c) => c.split(' ')[0]), ['CreateKeyPair', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'RunInstances']);
    assert.equal(statSync(keyFileOf(home)).mode & 0o777, 0o600);
    assert.deepEqual([r.json.keyPair?.created, r.json.keyPair?.keyFile, r.json.securityGroup?.created, r.json.securityGroup?.opened], [true, keyFileOf(home), true, ['22/0.0.0.0/0']]);
    assert.equal([...w.ec2.groups.values()][0]!.GroupName, 'ec2term-ssh');
  });

  const adopt: { name: string; setup: (w: MemoryWorld, home: string) => void; args?: string[]; writes: string[]; code?: number; stderr?: RegExp }[] = [
    {
      name: 'key pair and group exist (with the key file here): both used as they are',
      setup: (w, home) => { w.ec2.keyPairs.set('ec2term', { name: 'ec2term', tags: {} }); saveKey(home); addGroup(w, 'ec2term-ssh', [SSH_22]); },
      writes: ['RunInstances'],
    },
    {
      name: 'a shared group that lacks a default rule is left as it is, with a warning',
      setup: (w, home) => { w.ec2.keyPairs.set('ec2term', { name: 'ec2term', tags: {} }); saveKey(home); addGroup(w, 'ec2term-ssh', []); },
      writes: ['RunInstances'],
      stderr: /ec2term-ssh does not allow port 22 from 0\.0\.0\.0\/0; left as it is/,
    },
    {
      name: 'an --allow-from group that lets in more than asked is refused (never used, never narrowed); the key pair made for it is undone',
      setup: (w) => { addGroup(w, allowFromGroup('203.0.113.7/32'), [SSH_22, { ...SSH_22, IpRanges: [{ CidrIp: '203.0.113.7/32' }] }]); },
      args: ['--allow-from', '203.0.113.7/32'],
      writes: ['CreateKeyPair', 'DeleteKeyPair'],
      code: 1,
      stderr: /lets in more than --allow-from asks: 22 from 0\.0\.0\.0\/0; refusing to launch into it/,
    },
    {
      name: '--import-key imports the public key when the key pair does not exist',
      setup: (_w, home) => { mkdirSync(join(home, '.ssh'), { recursive: true }); writeFileSync(join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMemory me@here\n'); },
      args: ['--import-key', '~/.ssh/id_ed25519.pub'],
      writes: ['ImportKeyPair', 'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'RunInstances'],
    },
  ];
  for (const c of adopt) {
    it(c.name, async () => {
      const w = world();
      const home = tempHome();
      c.setup(w, home);
      const r = await launch(w, [...BASE, ...(c.args ?? []), 'lab'], home);
      assert.equal(r.code, c.code ?? 0, r.stderr);
      if (c.stderr) assert.match(r.stderr, c.stderr);
      assert.deepEqual(writes(w).map((x) => x.split(' ')[0]), c.writes);
    });
  }
});

/** A private key file where ec2term looks for the ec2term key pair's. */
function saveKey(home: string): void {
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(keyFileOf(home), 'key\n', { mode: 0o600 });
}

describe('ec2launch in-process: races with a concurrent run', () => {
  it('a group created between describe and create (InvalidGroup.Duplicate): that group is used and completed, not ours to undo', async () => {
    const w = world();
    let raced: string | undefined;
    w.ec2.before = (call) => {
      if (call === 'CreateSecurityGroup ec2term-ssh' && !raced) raced = addGroup(w, 'ec2term-ssh', []).GroupId;
    };
    const r = await launch(w, [...BASE, 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json.securityGroup?.id, r.json.securityGroup?.created], [raced, false]);
    assert.equal(w.ec2.groups.size, 1);
    assert.deepEqual(w.ec2.groups.get(raced!)?.IpPermissions?.map((p) => p.FromPort), [22], 'the rule it lacked was added');
    assert.deepEqual(w.instances.get(r.json.instanceId!)?.securityGroups.map((g) => g.id), [raced]);
  });

  it('a rule the concurrent run added first (InvalidPermission.Duplicate) is not an error', async () => {
    const w = world();
    w.ec2.before = (call) => {
      if (call === 'CreateSecurityGroup ec2term-ssh' && w.ec2.groups.size === 0) addGroup(w, 'ec2term-ssh', []);
      if (call.startsWith('AuthorizeSecurityGroupIngress')) {
        const g = [...w.ec2.groups.values()][0]!;
        if (!g.IpPermissions?.length) g.IpPermissions = [SSH_22];
      }
    };
    const r = await launch(w, [...BASE, 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal([...w.ec2.groups.values()][0]!.IpPermissions?.length, 1);
  });

  it('a key pair created between describe and create (InvalidKeyPair.Duplicate): used, not created, not ours to undo', async () => {
    const w = world();
    const home = tempHome();
    w.ec2.before = (call) => {
      if (call === 'CreateKeyPair ec2term' && !w.ec2.keyPairs.size) {
        w.ec2.keyPairs.set('ec2term', { name: 'ec2term', tags: {} });
        saveKey(home); // the concurrent run saves its private key
      }
    };
    const r = await launch(w, [...BASE, 'lab'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([r.json.keyPair?.created, r.json.keyPair?.keyFile], [false, keyFileOf(home)]);
  });

  it('the group went away before RunInstances (a concurrent run undid it): set up again and launched', async () => {
    const w = world();
    let removed = false;
    w.ec2.before = (call) => {
      if (call.startsWith('RunInstances') && !removed) {
        removed = true;
        w.ec2.groups.clear();
      }
    };
    const r = await launch(w, [...BASE, 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the security group ec2term-ssh went away \(a concurrent run removed it\); setting it up again/);
    assert.equal(writes(w).filter((c) => c.startsWith('CreateSecurityGroup')).length, 2);
    assert.deepEqual(w.instances.get(r.json.instanceId!)?.securityGroups.map((g) => g.id), [[...w.ec2.groups.keys()][0]]);
  });
});

describe('ec2launch in-process: undo after a failed launch', () => {
  /** The second of two hosts fails to launch: the first exists by then. */
  const failSecond = (w: MemoryWorld, also?: () => void) => {
    let runs = 0;
    w.ec2.before = (call) => {
      if (call.startsWith('RunInstances') && ++runs === 2) {
        also?.();
        throw awsFault('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.small capacity', 500);
      }
    };
  };

  it('removes exactly what the run created, newest first: the instance, then the group and the key pair (and its file)', async () => {
    const w = world();
    const home = tempHome();
    failSecond(w);
    const r = await launch(w, [...BASE, '--count', '2', 'lab'], home);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /launching lab-2: AWS refused the request \(InsufficientInstanceCapacity\)/);
    assert.match(r.stderr, /launch failed; removing what this run created/);
    const first = [...w.instances.values()].find((i) => i.name === 'lab-1')!;
    assert.deepEqual(writes(w).slice(-3).map((c) => c.split(' ').slice(0, 2).join(' ')), [`TerminateInstances ${first.id}`, `DeleteSecurityGroup ${[...w.calls].find((c) => c.startsWith('DeleteSecurityGroup'))!.split(' ')[1]}`, 'DeleteKeyPair ec2term']);
    assert.equal(w.instances.get(first.id)?.state, 'terminated');
    assert.deepEqual([w.ec2.groups.size, w.ec2.keyPairs.size, existsSync(keyFileOf(home))], [0, 0, false]);
    assert.match(r.stderr, /terminated instance i-\w+\n.*removed security group ec2term-ssh \(sg-\w+\)\n.*removed key pair ec2term and /s);
  });

  it('--keep-on-failure keeps everything and says how to remove it', async () => {
    const w = world();
    failSecond(w);
    const r = await launch(w, [...BASE, '--count', '2', '--keep-on-failure', 'lab']);
    assert.equal(r.code, 4);
    assert.deepEqual(writes(w).map((c) => c.split(' ')[0]).filter((c) => c.startsWith('Delete') || c.startsWith('Terminate')), []);
    assert.match(r.stderr, /kept instance i-\w+ \(lab-1\) \(--keep-on-failure; remove it with: ec2list --terminate i-\w+\)/);
    assert.match(r.stderr, /kept security group ec2term-ssh/);
    assert.match(r.stderr, /kept key pair ec2term/);
  });

  it('a key pair another instance now uses (a concurrent run adopted it) is kept, and says why', async () => {
    const w = world();
    failSecond(w, () => {
      const other = addInstance(w, 'theirs');
      other.keyName = 'ec2term';
    });
    const r = await launch(w, [...BASE, '--count', '2', 'lab']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /kept key pair ec2term.*: another instance uses it \(i-\w+\)/);
    assert.equal(w.ec2.keyPairs.size, 1);
    assert.equal(w.ec2.groups.size, 0, 'the group is still removed');
  });

  it('a group that cannot be removed says how to remove it by hand (the same endpoint), and the rest still goes', async () => {
    const w = world();
    failSecond(w);
    const inner = w.ec2.before!;
    w.ec2.before = (call) => {
      if (call.startsWith('DeleteSecurityGroup')) throw awsFault('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
      inner(call);
    };
    const r = await launch(w, [...BASE, '--count', '2', 'lab']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /could NOT remove security group ec2term-ssh \(sg-\w+\): .*\(remove it with: aws ec2 --region us-east-1 delete-security-group --group-id sg-\w+\)/);
    assert.equal(w.ec2.keyPairs.size, 0);
  });
});

describe('ec2launch in-process: placement (--subnet, --eip)', () => {
  it('--subnet that does not exist is NotFound (exit 3) before anything is written', async () => {
    const w = world();
    const r = await launch(w, [...BASE, '--subnet', 'subnet-0123456789abcdef0', 'lab']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no subnet subnet-0123456789abcdef0 in us-east-1/);
    assert.deepEqual(w.calls, []);
  });

  it('--subnet launches into it (its VPC\'s group is made there)', async () => {
    const w = world();
    w.ec2.subnets.push({ SubnetId: 'subnet-0123456789abcdef0', VpcId: 'vpc-0123456789abcdef0', AvailabilityZone: 'us-east-1a', MapPublicIpOnLaunch: true, State: 'available' });
    const r = await launch(w, [...BASE, '--subnet', 'subnet-0123456789abcdef0', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal([...w.ec2.groups.values()][0]!.VpcId, 'vpc-0123456789abcdef0');
  });

  it('--eip allocates an Elastic IP (tagged as ec2term\'s), records it on the instance and associates it', async () => {
    const w = world();
    const r = await launch(w, [...BASE, '--eip', 'lab']);
    assert.equal(r.code, 0, r.stderr);
    const [a] = [...w.ec2.addresses.values()];
    const i = w.instances.get(r.json.instanceId!)!;
    assert.deepEqual([a!.InstanceId, i.publicIp, i.tags[TAGS.eip]], [i.id, a!.PublicIp, a!.AllocationId]);
    assert.ok(a!.Tags?.some((t) => t.Key === TAGS.managed && t.Value === 'true'));
    assert.deepEqual(writes(w).map((c) => c.split(' ')[0]).slice(-3), ['AllocateAddress', 'CreateTags', 'AssociateAddress']);
  });

  it('--eip ID held by another instance fails after launch, and the launch is undone', async () => {
    const w = world();
    w.ec2.addresses.set('eipalloc-0123456789abcdef0', { AllocationId: 'eipalloc-0123456789abcdef0', PublicIp: '203.0.113.50', InstanceId: 'i-0000000000000other' });
    const r = await launch(w, [...BASE, '--eip', 'eipalloc-0123456789abcdef0', 'lab']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the Elastic IP eipalloc-0123456789abcdef0 \(203\.0\.113\.50\) belongs to i-0000000000000other/);
    assert.deepEqual([...w.instances.values()].map((i) => i.state), ['terminated']);
    assert.deepEqual([w.ec2.groups.size, w.ec2.keyPairs.size], [0, 0]);
  });
});

describe('ec2launch in-process: --dry-run', () => {
  it('checks every write with EC2 DryRun and changes nothing', async () => {
    const w = world();
    const home = tempHome();
    const r = await launch(w, [...BASE, '--dry-run', 'lab'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(writes(w), []);
    assert.deepEqual(w.calls, ['DryRun CreateKeyPair ec2term', 'DryRun CreateSecurityGroup ec2term-ssh', 'DryRun RunInstances']);
    assert.deepEqual([w.ec2.keyPairs.size, w.ec2.groups.size, w.instances.size, existsSync(join(home, '.ssh'))], [0, 0, 0, false]);
    const out = JSON.parse(r.stdout) as { keyPair: { action: string }; securityGroup: { action: string; add: string[] }; runInstancesCheck: string };
    assert.deepEqual([out.keyPair.action, out.securityGroup.action, out.securityGroup.add], ['create', 'create', ['22/0.0.0.0/0']]);
    assert.match(out.runInstancesCheck, /^ok .*checked without the key pair\/security group that do not exist yet/);
  });

  it('an existing group that lacks an --allow-from rule: the widening is DryRun-checked, not made', async () => {
    const w = world();
    const home = tempHome();
    w.ec2.keyPairs.set('ec2term', { name: 'ec2term', tags: {} });
    saveKey(home);
    addGroup(w, allowFromGroup('203.0.113.7/32'), []);
    const r = await launch(w, [...BASE, '--dry-run', '--allow-from', '203.0.113.7/32', 'lab'], home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(w.calls, ['DryRun AuthorizeSecurityGroupIngress', 'DryRun RunInstances']);
    assert.equal((JSON.parse(r.stdout) as { securityGroup: { action: string } }).securityGroup.action, 'widen');
  });

  it('EC2 refusing a DryRun check (UnauthorizedOperation) is AwsRefused (exit 4), naming the check', async () => {
    const w = world();
    w.ec2.before = (call) => {
      if (call.startsWith('DryRun RunInstances')) throw awsFault('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
    };
    const r = await launch(w, [...BASE, '--dry-run', 'lab']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /checking the launch \(DryRun\): AWS refused the request \(UnauthorizedOperation\)/);
  });
});
