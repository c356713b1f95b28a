// The Instance Connect login around one connection attempt, with a fake SendSSHPublicKey and a fake
// attempt: the push comes right before connecting, a refused login pushes again and retries once, and in
// automatic mode a refused push leaves the other keys to try (the refusal is what fails if they do not).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withInstanceConnect } from '../../src/lib/access/login.js';
import { AwsRefusedError, ConnectionError } from '../../src/lib/errors.js';
import type { InstanceInfo } from '../../src/lib/instances.js';
import type { ConnectOptions, InstanceTarget, SshConnection } from '../../src/lib/ssh/connect.js';
import type { IdentityCandidate } from '../../src/lib/ssh/keys.js';

const instance: InstanceInfo = { id: 'i-0123456789abcdef0', region: 'us-east-1', name: 'lab', state: 'running', managed: false, sshPort: 22, securityGroups: [], tags: {}, zone: 'us-east-1a' };
const denied = () => new ConnectionError('permission denied (publickey) for ubuntu@lab (i-0123456789abcdef0): the server refused a one-time EC2 Instance Connect key');
const fileKey: IdentityCandidate = { kind: 'file', path: '/nowhere/id_ed25519', why: 'default identity' };

function setup(pushFails?: () => Error) {
  const events: string[] = [];
  const sent: Record<string, unknown>[] = [];
  const aws = {
    instanceConnect: async () => ({
      send: async (cmd: { input: Record<string, unknown> }) => {
        sent.push(cmd.input);
        events.push('push');
        if (pushFails) throw pushFails();
        return { Success: true, RequestId: 'r' };
      },
    }),
  };
  const o = { aws, out: { detail: () => {} } } as unknown as ConnectOptions;
  const target = (only: boolean, identities: IdentityCandidate[] = [fileKey]) =>
    ({ instance, user: 'ubuntu', identities, access: { instanceConnect: true, instanceConnectOnly: only } }) as unknown as InstanceTarget;
  return { events, sent, o, target };
}

const conn = {} as SshConnection;

describe('login with a key pushed by EC2 Instance Connect', () => {
  it('pushes the public half for the login user right before connecting, and offers the pushed key first', async () => {
    const { events, sent, o, target } = setup();
    let offered: IdentityCandidate[] = [];
    const got = await withInstanceConnect(instance, target(false), o, async (ids) => {
      events.push('connect');
      offered = ids;
      return conn;
    });
    assert.equal(got, conn);
    assert.deepEqual(events, ['push', 'connect']);
    assert.equal(sent[0]!.InstanceId, 'i-0123456789abcdef0');
    assert.equal(sent[0]!.InstanceOSUser, 'ubuntu');
    assert.equal(sent[0]!.AvailabilityZone, 'us-east-1a');
    assert.match(String(sent[0]!.SSHPublicKey), /^ssh-ed25519 AAAA\S+ ec2term-instance-connect$/);
    assert.equal(offered[0]!.kind, 'key');
    assert.deepEqual(offered.slice(1), [fileKey]);
    assert.ok(!JSON.stringify(sent).includes('PRIVATE KEY'), 'only the public half leaves this process');
  });

  it('a refused login pushes again and retries once', async () => {
    const { events, o, target } = setup();
    let n = 0;
    await withInstanceConnect(instance, target(true, []), o, async () => {
      events.push('connect');
      if (n++ === 0) throw denied();
      return conn;
    });
    assert.deepEqual(events, ['push', 'connect', 'push', 'connect']);
  });

  it('twice refused: the agent hint', async () => {
    const { events, o, target } = setup();
    await assert.rejects(
      withInstanceConnect(instance, target(true, []), o, async () => {
        events.push('connect');
        throw denied();
      }),
      (e: unknown) => e instanceof ConnectionError && /Instance Connect agent \(Amazon Linux 2, Amazon Linux 2023 and Ubuntu 16\.04 or later\)/.test(e.hint ?? ''),
    );
    assert.deepEqual(events, ['push', 'connect', 'push', 'connect']);
  });

  it('--instance-connect: a refused push fails at once, no login attempted', async () => {
    const { events, o, target } = setup(() => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await assert.rejects(withInstanceConnect(instance, target(true), o, async () => { events.push('connect'); return conn; }), AwsRefusedError);
    assert.deepEqual(events, ['push']);
  });

  it('automatic: a refused push leaves the other keys; if they fail, the refusal is what the user reads', async () => {
    const { events, o, target } = setup(() => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const ok = await withInstanceConnect(instance, target(false), o, async (ids) => { events.push(`connect ${ids.length}`); return conn; });
    assert.equal(ok, conn);
    assert.deepEqual(events, ['push', 'connect 1']);
    await assert.rejects(
      withInstanceConnect(instance, target(false), o, async () => { throw denied(); }),
      (e: unknown) => e instanceof AwsRefusedError && /ec2-instance-connect:SendSSHPublicKey/.test(e.hint ?? ''),
    );
  });

  it('automatic: a push that fails for another reason (no such API) gives the login\'s own error', async () => {
    const { o, target } = setup(() => Object.assign(new Error('unknown operation'), { name: 'UnknownOperationException', $metadata: { httpStatusCode: 400 } }));
    await assert.rejects(withInstanceConnect(instance, target(false), o, async () => { throw denied(); }), (e: unknown) => e instanceof ConnectionError && /^permission denied/.test(e.message));
  });
});
