// EC2 Instance Connect Endpoints in the sandbox: awscli 1.x creates and describes them (Debian's 2.9
// predates the API); botocore's own SigV4 presigner signs the openTunnel URL as `aws ec2-instance-connect
// open-tunnel` does; real OpenSSH reaches a private-only instance through the WebSocket tunnel.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { keygen } from '../helpers/sshd.js';
import type { AwsCli } from '../helpers/awscli.js';
import { awsError, awsFor, findAws, findAwsV1, running, sshLogin, sshMissing, until } from './helpers.js';

const run = promisify(execFile);
const AWS1 = findAwsV1();
const PROXY = fileURLToPath(new URL('../helpers/eice-proxy.js', import.meta.url));

// botocore's RequestSigner, called the way the AWS CLI's EICE signer calls it.
const PRESIGN = `
import sys
from urllib.parse import urlencode
from awscli.botocore.session import get_session
from awscli.botocore.signers import RequestSigner
s = get_session()
m = s.get_service_model('ec2-instance-connect')
signer = RequestSigner(m.service_id, 'us-east-1', m.signing_name, m.signature_version, s.get_credentials(), s.get_component('event_emitter'))
dns, eid, ip, port = sys.argv[1:5]
q = urlencode({'instanceConnectEndpointId': eid, 'remotePort': port, 'privateIpAddress': ip, 'maxTunnelDuration': 3600})
req = {'url': 'wss://%s/openTunnel?%s' % (dns, q), 'body': {}, 'headers': {'host': dns}, 'method': 'GET', 'query_string': '', 'url_path': '/', 'context': {}}
print(signer.generate_presigned_url(req, operation_name='openTunnel', expires_in=60))
`;

describe('EC2 Instance Connect Endpoints through awscli 1.x, botocore\'s presigner and OpenSSH', { skip: AWS1 ? false : 'awscli 1.x not installed (.ci/run puts it in /opt/ec2term/awscli-v1)' }, () => {
  let sb: TestSandbox;
  let aws: AwsCli;
  let aws1: AwsCli;
  let ami: string;
  let keyFile: string;
  const net: Record<string, string> = {};
  before(async () => {
    sb = await startTestSandbox();
    aws1 = awsFor(sb, AWS1);
    aws = findAws() ? awsFor(sb) : aws1;
    ami = (await aws1('ec2', 'describe-images', '--filters', 'Name=name,Values=*noble-24.04-amd64*')).Images[0].ImageId;
    const vpc = (await aws1('ec2', 'create-vpc', '--cidr-block', '10.30.0.0/16')).Vpc.VpcId;
    const subnet = (await aws1('ec2', 'create-subnet', '--vpc-id', vpc, '--cidr-block', '10.30.1.0/24')).Subnet.SubnetId;
    Object.assign(net, { vpc, subnet });
    const dir = join(sb.dir, '..', 'eice-keys');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    keyFile = join(dir, 'ephemeral');
    keygen(keyFile);
  });
  after(async () => { await sb?.stop(); });

  const presign = async (dns: string, eid: string, ip: string, port = '22') => {
    const py = join(dirname(AWS1!), 'python');
    const env = { PATH: process.env.PATH, HOME: join(sb.dir, '..'), AWS_ACCESS_KEY_ID: sb.info.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.info.secretAccessKey, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' };
    return (await run(py, ['-c', PRESIGN, dns, eid, ip, port], { env })).stdout.trim();
  };
  /** OpenSSH through the tunnel; the presigned URL travels in the environment. */
  const sshThrough = (ip: string) => sshLogin(ip, '22', keyFile, ['-o', `ProxyCommand=${process.execPath} ${PROXY}`]);
  const withUrl = <T>(url: string, fn: () => T): T => {
    const saved = { u: process.env.EICE_URL, s: process.env.EICE_SANDBOX };
    process.env.EICE_URL = url;
    process.env.EICE_SANDBOX = sb.url;
    try { return fn(); } finally { process.env.EICE_URL = saved.u; process.env.EICE_SANDBOX = saved.s; }
  };
  /** The handshake's outcome: the HTTP status it was refused with, or the close code and reason. */
  const tunnelOutcome = (url: string) => new Promise<{ status?: number; code?: number; reason?: string }>((resolve) => {
    const u = new URL(url);
    const ws = new WebSocket(`ws://${new URL(sb.url).host}${u.pathname}${u.search}`, { headers: { Host: u.host } });
    ws.on('unexpected-response', (_q, res) => { resolve({ status: res.statusCode }); res.resume(); });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', () => {});
  });

  it('creates an endpoint that goes create-in-progress -> create-complete, with an AWS-shaped DnsName', async () => {
    await sb.admin('POST', '/_sandbox/config', { delays: { eiceCreate: 3_600_000 } });
    const made = (await aws1('ec2', 'create-instance-connect-endpoint', '--subnet-id', net.subnet!)).InstanceConnectEndpoint;
    assert.match(made.InstanceConnectEndpointId, /^eice-[0-9a-f]{17}$/);
    assert.equal(made.State, 'create-in-progress');
    assert.equal(made.VpcId, net.vpc);
    assert.match(made.DnsName, new RegExp(`^${made.InstanceConnectEndpointId}\\.[0-9a-f]{8}\\.ec2-instance-connect-endpoint\\.us-east-1\\.amazonaws\\.com$`));
    const early = await tunnelOutcome(await presign(made.DnsName, made.InstanceConnectEndpointId, '10.30.1.4'));
    assert.equal(early.status, 409, 'no tunnel before create-complete');
    await sb.admin('POST', '/_sandbox/clock', { advanceMs: 3_600_000 });
    const seen = (await aws1('ec2', 'describe-instance-connect-endpoints', '--filters', `Name=vpc-id,Values=${net.vpc}`)).InstanceConnectEndpoints;
    assert.equal(seen.length, 1);
    assert.equal(seen[0].State, 'create-complete');
    assert.equal(seen[0].SubnetId, net.subnet);
    Object.assign(net, { eice: made.InstanceConnectEndpointId, dns: made.DnsName });
    await sb.admin('POST', '/_sandbox/config', { delays: 'fast' });
  });

  it('OpenSSH reaches a private-only instance (no key pair, an Instance Connect key) through the tunnel', { skip: sshMissing() }, async () => {
    assert.ok(net.eice, 'needs the endpoint case first');
    const i = await running(aws1, (await aws1('ec2', 'run-instances', '--image-id', ami, '--subnet-id', net.subnet!)).Instances[0].InstanceId);
    assert.equal(i.PublicIpAddress, undefined);
    await aws('ec2-instance-connect', 'send-ssh-public-key', '--instance-id', i.InstanceId, '--instance-os-user', 'ubuntu', '--ssh-public-key', `file://${keyFile}.pub`);
    const r = await until(async () => {
      const url = await presign(net.dns!, net.eice!, i.PrivateIpAddress);
      const out = withUrl(url, () => sshThrough(i.PrivateIpAddress));
      return out.status === 0 ? out : false;
    }, 'a login through the tunnel');
    assert.equal(r.status, 0);
    const log = (await sb.admin('GET', '/_sandbox/requests')).requests.filter((x: { action: string }) => x.action === 'OpenTunnel');
    assert.ok(log.some((x: { status: number }) => x.status === 101), 'the tunnel was opened');
  });

  it('refuses a bad signature (403) and an unknown endpoint (404); an address outside the VPC closes with 1011', async () => {
    assert.ok(net.eice, 'needs the endpoint case first');
    const url = await presign(net.dns!, net.eice!, '10.30.1.250');
    assert.equal((await tunnelOutcome(url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'))).status, 403);
    assert.equal((await tunnelOutcome(await presign(net.dns!, 'eice-0123456789abcdef0', '10.30.1.250'))).status, 404);
    const other = await running(aws1, (await aws1('ec2', 'run-instances', '--image-id', ami)).Instances[0].InstanceId);
    const closed = await tunnelOutcome(await presign(net.dns!, net.eice!, other.PrivateIpAddress));
    assert.equal(closed.code, 1011);
    assert.match(closed.reason!, /Unable to connect/);
    await sb.admin('POST', '/_sandbox/faults', { rules: [{ kind: 'access-denied', service: 'ec2-instance-connect', action: 'OpenTunnel' }] });
    assert.equal((await tunnelOutcome(await presign(net.dns!, net.eice!, other.PrivateIpAddress))).status, 403);
    await sb.admin('DELETE', '/_sandbox/faults');
  });

  it('deletes the endpoint: delete-in-progress, then gone', async () => {
    assert.ok(net.eice, 'needs the endpoint case first');
    await sb.admin('POST', '/_sandbox/config', { delays: { eiceDelete: 3_600_000 } });
    const del = (await aws1('ec2', 'delete-instance-connect-endpoint', '--instance-connect-endpoint-id', net.eice!)).InstanceConnectEndpoint;
    assert.equal(del.State, 'delete-in-progress');
    await sb.admin('POST', '/_sandbox/clock', { advanceMs: 3_600_000 });
    assert.deepEqual((await aws1('ec2', 'describe-instance-connect-endpoints')).InstanceConnectEndpoints, []);
    assert.match(await awsError(aws1, 'ec2', 'describe-instance-connect-endpoints', '--instance-connect-endpoint-ids', net.eice!), /InvalidInstanceConnectEndpointId\.NotFound/);
  });
});
