// Pure parts of reaching an instance, as tables: the access flags, the route (public, IPv6, private,
// an EC2 Instance Connect Endpoint), ec2list's REACH, when to push a key, which images run the agent,
// the refusals' one line, and the endpoint tunnel's presigned URL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAccessOptions, DEFAULT_ACCESS, type AccessWish } from '../../src/lib/access/options.js';
import { chooseRoute, endpointsFor, hostForDisplay, needsEndpoints, reachOf, type EndpointInfo } from '../../src/lib/access/route.js';
import { wantsInstanceConnect } from '../../src/lib/access/plan.js';
import { instanceConnectAgent, pushError, SEND_KEY_ACTION } from '../../src/lib/access/instance-connect.js';
import { presignTunnelUrl, tunnelBase, tunnelRefusal } from '../../src/lib/access/eice.js';
import { AwsRefusedError, ConnectionError, describeError, UsageError } from '../../src/lib/errors.js';
import { cidrFamily, isIpv6Cidr } from '../../src/lib/ids.js';
import type { InstanceInfo } from '../../src/lib/instances.js';

function instance(o: Partial<InstanceInfo>): InstanceInfo {
  return { id: 'i-0123456789abcdef0', region: 'us-east-1', name: 'lab', state: 'running', managed: true, sshPort: 22, securityGroups: [], tags: {}, vpcId: 'vpc-0aaaaaaaaaaaaaaaa', subnetId: 'subnet-0bbbbbbbbbbbbbbbb', ...o };
}
const PUBLIC = { publicIp: '54.1.2.3', privateIp: '172.31.5.6' };
const PRIVATE = { privateIp: '10.0.1.5' };
const IPV6_ONLY = { ipv6: '2600:1f18:1:200::5' };
const DUAL = { privateIp: '10.0.1.5', ipv6: '2600:1f18:1:200::5' };
const ready = (o: Partial<EndpointInfo> = {}): EndpointInfo => ({ id: 'eice-0123456789abcdef0', vpcId: 'vpc-0aaaaaaaaaaaaaaaa', subnetId: 'subnet-0bbbbbbbbbbbbbbbb', state: 'create-complete', dnsName: 'eice-0123456789abcdef0.1a2b3c4d.ec2-instance-connect-endpoint.us-east-1.amazonaws.com', ...o });
const wish = (o: Partial<AccessWish> = {}): AccessWish => ({ ...DEFAULT_ACCESS, ...o });

describe('access flags', () => {
  const cases: [string, Record<string, unknown>, Partial<AccessWish> | RegExp][] = [
    ['nothing: all automatic', {}, { via: 'auto', instanceConnect: 'auto' }],
    ['--address-type ipv6', { addressType: 'ipv6' }, { addressType: 'ipv6' }],
    ['--via eice', { via: 'eice' }, { via: 'eice' }],
    ['--eice-id implies --via eice', { eiceId: 'eice-0123456789abcdef0' }, { via: 'eice', eiceId: 'eice-0123456789abcdef0' }],
    ['--instance-connect', { instanceConnect: true }, { instanceConnect: 'always' }],
    ['--no-instance-connect', { instanceConnect: false }, { instanceConnect: 'never' }],
    ['bad --address-type', { addressType: 'ipv5' }, /bad --address-type "ipv5"/],
    ['bad --eice-id', { eiceId: 'eice-12' }, /bad --eice-id "eice-12"/],
    ['--eice-id with --via direct', { eiceId: 'eice-0123456789abcdef0', via: 'direct' }, /cannot be combined/],
    ['--via eice with public', { via: 'eice', addressType: 'public' }, /drop --address-type public/],
  ];
  for (const [what, opts, want] of cases) {
    it(what, () => {
      if (want instanceof RegExp) assert.throws(() => parseAccessOptions(opts), (e: unknown) => e instanceof UsageError && want.test(e.message));
      else assert.deepEqual({ ...parseAccessOptions(opts), ...{} }, { ...DEFAULT_ACCESS, ...want });
    });
  }
});

describe('chooseRoute', () => {
  type Want = { kind: 'direct' | 'eice'; host: string; type?: string; endpoint?: string } | RegExp;
  const cases: [string, Partial<InstanceInfo>, Partial<AccessWish>, EndpointInfo[], Want][] = [
    ['public IPv4 first', PUBLIC, {}, [ready()], { kind: 'direct', host: '54.1.2.3', type: 'public' }],
    ['public DNS when no IP', { publicDns: 'ec2-54-1-2-3.compute-1.amazonaws.com', privateIp: '172.31.5.6' }, {}, [], { kind: 'direct', host: 'ec2-54-1-2-3.compute-1.amazonaws.com', type: 'public' }],
    ['IPv6 when that is the only address', IPV6_ONLY, {}, [], { kind: 'direct', host: '2600:1f18:1:200::5', type: 'ipv6' }],
    ['IPv6 before an endpoint (dual stack, no public IPv4)', DUAL, {}, [ready()], { kind: 'direct', host: '2600:1f18:1:200::5', type: 'ipv6' }],
    ['private only: the endpoint of its VPC', PRIVATE, {}, [ready()], { kind: 'eice', host: '10.0.1.5', endpoint: 'eice-0123456789abcdef0' }],
    ['private only, no endpoint: what to create', PRIVATE, {}, [], /only a private address \(10\.0\.1\.5\).*create-instance-connect-endpoint --subnet-id subnet-0bbbbbbbbbbbbbbbb/],
    ['private only, endpoint of another VPC does not count', PRIVATE, {}, [ready({ vpcId: 'vpc-0cccccccccccccccc' })], /no EC2 Instance Connect Endpoint is in its VPC/],
    ['private only, endpoint still being created does not count', PRIVATE, {}, [ready({ state: 'create-in-progress' })], /no EC2 Instance Connect Endpoint/],
    ['--via direct: the private address as asked', PRIVATE, { via: 'direct' }, [], { kind: 'direct', host: '10.0.1.5', type: 'private' }],
    ['--address-type private (a VPN) never tunnels', { ...PUBLIC }, { addressType: 'private' }, [ready()], { kind: 'direct', host: '172.31.5.6', type: 'private' }],
    ['--address-type public missing', PRIVATE, { addressType: 'public' }, [], /has no public IPv4 address \(it has private 10\.0\.1\.5\).*--address-type private/],
    ['--address-type ipv6 missing', PUBLIC, { addressType: 'ipv6' }, [], /has no IPv6 address.*--address-type public/],
    ['--via eice on a public instance: its private address', PUBLIC, { via: 'eice' }, [ready()], { kind: 'eice', host: '172.31.5.6', endpoint: 'eice-0123456789abcdef0' }],
    ['--via eice: same subnet first', PRIVATE, { via: 'eice' }, [ready({ id: 'eice-0ffffffffffffffff', subnetId: 'subnet-0dddddddddddddddd' }), ready()], { kind: 'eice', host: '10.0.1.5', endpoint: 'eice-0123456789abcdef0' }],
    ['--via eice: else any of its VPC', PRIVATE, { via: 'eice' }, [ready({ id: 'eice-0ffffffffffffffff', subnetId: 'subnet-0dddddddddddddddd' })], { kind: 'eice', host: '10.0.1.5', endpoint: 'eice-0ffffffffffffffff' }],
    ['--via eice, no endpoint', PRIVATE, { via: 'eice' }, [], /no EC2 Instance Connect Endpoint in vpc-0aaaaaaaaaaaaaaaa.*create-instance-connect-endpoint --subnet-id subnet-0bbbbbbbbbbbbbbbb/],
    ['--via eice on IPv6-only: the IPv6 address', IPV6_ONLY, { via: 'eice' }, [ready()], { kind: 'eice', host: '2600:1f18:1:200::5', endpoint: 'eice-0123456789abcdef0' }],
    ['--eice-id picks that one', PRIVATE, { via: 'eice', eiceId: 'eice-0ffffffffffffffff' }, [ready(), ready({ id: 'eice-0ffffffffffffffff', subnetId: 'subnet-0dddddddddddddddd' })], { kind: 'eice', host: '10.0.1.5', endpoint: 'eice-0ffffffffffffffff' }],
    ['--eice-id unknown', PRIVATE, { via: 'eice', eiceId: 'eice-0ffffffffffffffff' }, [], /no EC2 Instance Connect Endpoint eice-0ffffffffffffffff/],
    ['--eice-id in another VPC', PRIVATE, { via: 'eice', eiceId: 'eice-0ffffffffffffffff' }, [ready({ id: 'eice-0ffffffffffffffff', vpcId: 'vpc-0cccccccccccccccc' })], /is in vpc-0cccccccccccccccc, but lab/],
    ['no address at all', {}, {}, [], /has no address to connect to/],
  ];
  for (const [what, addrs, w, endpoints, want] of cases) {
    it(what, () => {
      const i = instance(addrs);
      if (want instanceof RegExp) {
        assert.throws(
          () => chooseRoute(i, wish(w), endpoints),
          (e: unknown) => e instanceof ConnectionError && want.test(describeError(e).lines.join(' ')),
        );
        return;
      }
      const r = chooseRoute(i, wish(w), endpoints);
      assert.equal(r.kind, want.kind);
      assert.equal(r.host, want.host);
      if (r.kind === 'direct') assert.equal(r.addressType, want.type);
      else assert.equal(r.endpoint.id, want.endpoint);
    });
  }

  it('asks for the endpoints only when the route may need one', () => {
    assert.equal(needsEndpoints(instance(PUBLIC), wish()), false);
    assert.equal(needsEndpoints(instance(IPV6_ONLY), wish()), false);
    assert.equal(needsEndpoints(instance(PRIVATE), wish()), true);
    assert.equal(needsEndpoints(instance(PRIVATE), wish({ via: 'direct' })), false);
    assert.equal(needsEndpoints(instance(PRIVATE), wish({ addressType: 'private' })), false);
    assert.equal(needsEndpoints(instance(PUBLIC), wish({ via: 'eice' })), true);
  });

  it('endpoints: ready ones of the VPC, its subnet first', () => {
    const other = ready({ id: 'eice-0ffffffffffffffff', subnetId: 'subnet-0dddddddddddddddd' });
    assert.deepEqual(endpointsFor(instance(PRIVATE), [other, ready(), ready({ id: 'eice-0eeeeeeeeeeeeeeee', state: 'delete-in-progress' })]).map((e) => e.id), ['eice-0123456789abcdef0', 'eice-0ffffffffffffffff']);
  });

  it('IPv6 hosts are bracketed in messages', () => {
    assert.equal(hostForDisplay('::1'), '[::1]');
    assert.equal(hostForDisplay('10.0.1.5'), '10.0.1.5');
  });
});

describe("ec2list's REACH", () => {
  const cases: [string, Partial<InstanceInfo>, EndpointInfo[], string][] = [
    ['public', PUBLIC, [], 'public'],
    ['IPv6 only', IPV6_ONLY, [], 'ipv6'],
    ['private with an endpoint', PRIVATE, [ready()], 'eice'],
    ['private without one', PRIVATE, [], 'private-unreachable'],
    ['stopped: none yet (it lost its public address)', { ...PRIVATE, state: 'stopped' }, [ready()], 'none'],
    ['pending, public', { ...PUBLIC, state: 'pending' }, [], 'public'],
    ['terminated', { state: 'terminated' }, [], 'none'],
  ];
  for (const [what, o, endpoints, want] of cases) it(what, () => assert.equal(reachOf(instance(o), endpoints), want));
});

describe('EC2 Instance Connect', () => {
  it('pushes a key only when asked, or when no key of ours is at hand', () => {
    const table: [Parameters<typeof wantsInstanceConnect>[0], boolean, boolean, boolean][] = [
      ['auto', false, false, true], // launched by someone else, or --no-key-pair
      ['auto', false, true, false], // our key pair's file is here
      ['auto', true, false, false], // -i FILE
      ['always', true, true, true],
      ['never', false, false, false],
    ];
    for (const [w, explicitIdentity, launchKeyFile, want] of table) assert.equal(wantsInstanceConnect(w, { explicitIdentity, launchKeyFile }), want, `${w} -i:${explicitIdentity} file:${launchKeyFile}`);
  });

  it('knows which images run the agent', () => {
    const table: [string, string][] = [
      ['al2023-ami-2023.6.20241010.0-kernel-6.1-x86_64', 'yes'],
      ['amzn2-ami-kernel-5.10-hvm-2.0.20241001.0-x86_64-gp2', 'yes'],
      ['ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240927', 'yes'],
      ['ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-20211001', 'yes'],
      ['ubuntu/images/hvm-ssd/ubuntu-trusty-14.04-amd64-server-20190514', 'no'],
      ['debian-12-amd64-20240717-1811', 'no'],
      ['amzn-ami-hvm-2018.03.0.20231218.0-x86_64-gp2', 'no'],
      ['my-golden-image-7', 'unknown'],
    ];
    for (const [name, want] of table) assert.equal(instanceConnectAgent(name), want, name);
  });

  it('a refused push names the IAM action, in one line plus its hint', () => {
    const denied = Object.assign(new Error('User is not authorized to perform: ec2-instance-connect:SendSSHPublicKey'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    const err = pushError(denied, instance(PUBLIC), 'ubuntu');
    assert.ok(err instanceof AwsRefusedError);
    const lines = describeError(err).lines;
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /no permission to push a key with EC2 Instance Connect for ubuntu on lab \(i-0123456789abcdef0\)/);
    assert.match(lines[1]!, new RegExp(`allow the IAM action ${SEND_KEY_ACTION} on arn:aws:ec2:us-east-1:ACCOUNT:instance/i-0123456789abcdef0`));
    assert.equal(describeError(err).exitCode, 4);
  });

  it('an image without the agent and a stopped instance say so', () => {
    const unavailable = Object.assign(new Error('unavailable'), { name: 'EC2InstanceUnavailableException' });
    assert.match(pushError(unavailable, instance(PUBLIC), 'ubuntu').message, /cannot push a key to lab/);
    const bad = Object.assign(new Error('bad user'), { name: 'InvalidArgsException' });
    assert.match((pushError(bad, instance(PUBLIC), 'root') as ConnectionError).hint!, /Instance Connect agent/);
  });
});

describe('endpoint tunnel', () => {
  const aws = (override?: string) => ({ credentials: async () => ({ accessKeyId: 'AKIAEXAMPLEEXAMPLE00', secretAccessKey: 'secret/key+value' }), endpoints: { instanceConnect: override } });
  const target = { endpoint: ready(), address: '10.0.1.5', port: 22, region: 'us-east-1' };

  it("goes to the endpoint's DNS name over wss on AWS, and to the override as it says", () => {
    assert.deepEqual(tunnelBase(ready(), undefined), { protocol: 'wss:', hostname: ready().dnsName });
    assert.deepEqual(tunnelBase(ready(), 'http://127.0.0.1:4566'), { protocol: 'ws:', hostname: '127.0.0.1', port: 4566 });
    assert.throws(() => tunnelBase(ready({ dnsName: undefined }), undefined), /has no DNS name yet/);
    for (const bad of ['evil.example/x?', 'user@evil.example', 'evil.example:8443', 'a..b', '-x.example']) {
      assert.throws(() => tunnelBase(ready({ dnsName: bad }), undefined), /unusable DNS name/, bad);
    }
  });

  it('is presigned as the AWS CLI does: service ec2-instance-connect, 60 s, host signed, no secret in it', async () => {
    const url = new URL(await presignTunnelUrl(aws(), target, new Date('2026-12-03T12:00:00Z')));
    assert.equal(url.protocol, 'wss:');
    assert.equal(url.host, ready().dnsName);
    assert.equal(url.pathname, '/openTunnel');
    const q = url.searchParams;
    assert.equal(q.get('instanceConnectEndpointId'), 'eice-0123456789abcdef0');
    assert.equal(q.get('remotePort'), '22');
    assert.equal(q.get('privateIpAddress'), '10.0.1.5');
    assert.equal(q.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
    assert.equal(q.get('X-Amz-Credential'), 'AKIAEXAMPLEEXAMPLE00/20261203/us-east-1/ec2-instance-connect/aws4_request');
    assert.equal(q.get('X-Amz-Date'), '20261203T120000Z');
    assert.equal(q.get('X-Amz-Expires'), '60');
    assert.equal(q.get('X-Amz-SignedHeaders'), 'host');
    assert.match(q.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
    assert.ok(!url.href.includes('secret'), 'the secret key never appears');
  });

  it('to an override, the host it signs is the one it connects to', async () => {
    const url = new URL(await presignTunnelUrl(aws('http://127.0.0.1:4566'), target));
    assert.equal(url.href.split('/openTunnel')[0], 'ws://127.0.0.1:4566');
  });

  it('a 403 names the IAM action; other statuses point at the security group', () => {
    const denied = tunnelRefusal(403, '{"Message":"denied"}', 'EC2 Instance Connect Endpoint eice-0123456789abcdef0', target);
    assert.ok(denied instanceof AwsRefusedError);
    assert.match(describeError(denied).lines.join('\n'), /refused the tunnel to 10\.0\.1\.5 port 22 \(HTTP 403\)[^\n]*\nhint: allow the IAM action ec2-instance-connect:OpenTunnel/);
    assert.ok(tunnelRefusal(409, '', 'x', target) instanceof ConnectionError);
  });
});

describe('IPv6 shapes', () => {
  const table: [string, 'ipv4' | 'ipv6' | undefined][] = [
    ['203.0.113.7/32', 'ipv4'],
    ['2001:db8::/32', 'ipv6'],
    ['::/0', 'ipv6'],
    ['2600:1f18:1:200::5/128', 'ipv6'],
    ['2001:db8::/129', undefined],
    ['2001:db8::', undefined],
    ['fe80::1%eth0/64', undefined],
    ['lab/32', undefined],
  ];
  for (const [cidr, want] of table) it(cidr, () => assert.equal(cidrFamily(cidr), want));
  it('isIpv6Cidr', () => assert.equal(isIpv6Cidr('::1/128'), true));
});
