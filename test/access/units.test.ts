// Pure pieces of the sandbox's access side: CIDR arithmetic, and presigned tunnel URLs verified whoever
// signs them (the AWS SDK for JavaScript's SigV4 presigner here; botocore's in eice.test.ts).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseV4, parseV6, v4Overlap, v4Within, v6Str, v6ToStr, v6Within } from '../../src/sandbox/ec2/cidr.js';
import { verifyPresigned } from '../../src/sandbox/sigv4.js';
import { imageHasConnectAgent } from '../../src/sandbox/connect/keys.js';

describe('CIDR blocks', () => {
  it('IPv4: host bits must be zero; within and overlap', () => {
    for (const [c, ok] of [['10.0.0.0/16', true], ['10.0.0.1/16', false], ['172.31.16.0/20', true], ['300.0.0.0/8', false], ['10.0.0.0/33', false], ['10.0.0.0', false]] as const) {
      assert.equal(!!parseV4(c), ok, c);
    }
    const vpc = parseV4('10.20.0.0/16')!;
    assert.ok(v4Within(parseV4('10.20.1.0/24')!, vpc));
    assert.ok(!v4Within(parseV4('10.21.0.0/24')!, vpc));
    assert.ok(v4Overlap(parseV4('10.20.1.0/24')!, parseV4('10.20.1.128/25')!));
    assert.ok(!v4Overlap(parseV4('10.20.1.0/24')!, parseV4('10.20.2.0/24')!));
  });
  it('IPv6: compressed printing, /56 and /64 containment', () => {
    for (const [full, short] of [['2600:1f18:0:100:0:0:0:1', '2600:1f18:0:100::1'], ['0:0:0:0:0:0:0:1', '::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1']] as const) {
      assert.equal(v6ToStr(parseV6(`${full}/128`)!.base), short);
    }
    const vpc = parseV6('2600:1f18:abcd:1200::/56')!;
    assert.equal(v6Str(vpc), '2600:1f18:abcd:1200::/56');
    assert.ok(v6Within(parseV6('2600:1f18:abcd:12ff::/64')!, vpc));
    assert.ok(!v6Within(parseV6('2600:1f18:abcd:1300::/64')!, vpc));
    assert.equal(parseV6('2600:1f18:abcd:1201::1/64'), undefined, 'host bits set');
  });
});

describe('presigned openTunnel URLs', () => {
  const creds = { accessKeyId: 'AKIASANDBOXTESTKEY01', secretAccessKey: 'x'.repeat(40) };
  const toBuf = (d: string | ArrayBuffer | ArrayBufferView): Buffer => typeof d === 'string' ? Buffer.from(d)
    : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);
  class Sha256 {
    private h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
    constructor(secret?: string | ArrayBuffer | ArrayBufferView) { this.h = secret ? createHmac('sha256', toBuf(secret)) : createHash('sha256'); }
    update(d: string | ArrayBuffer | ArrayBufferView) { this.h.update(toBuf(d)); }
    async digest() { return new Uint8Array(this.h.digest()); }
  }
  const dns = 'eice-0123456789abcdef0.1a2b3c4d.ec2-instance-connect-endpoint.us-east-1.amazonaws.com';
  const presign = async (at = new Date()) => {
    const signer = new SignatureV4({ service: 'ec2-instance-connect', region: 'us-east-1', credentials: creds, sha256: Sha256 });
    const req = await signer.presign({
      method: 'GET', protocol: 'wss:', hostname: dns, path: '/openTunnel', headers: { host: dns },
      query: { instanceConnectEndpointId: 'eice-0123456789abcdef0', remotePort: '22', privateIpAddress: '10.0.1.5', maxTunnelDuration: '3600' },
    } as never, { expiresIn: 60, signingDate: at });
    const q = Object.entries((req as { query: Record<string, string> }).query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    return `/openTunnel?${q}`;
  };
  it('accepts the SDK presigner\'s URL with the Host it was signed for', async () => {
    const v = verifyPresigned({ method: 'GET', url: await presign(), headers: { host: dns } }, creds);
    assert.deepEqual([v.service, v.region], ['ec2-instance-connect', 'us-east-1']);
  });
  it('refuses another Host, a changed parameter, other keys and an expired URL', async () => {
    const url = await presign();
    assert.throws(() => verifyPresigned({ method: 'GET', url, headers: { host: '127.0.0.1:9' } }, creds), /SignatureDoesNotMatch|signature/i);
    assert.throws(() => verifyPresigned({ method: 'GET', url: url.replace('10.0.1.5', '10.0.1.6'), headers: { host: dns } }, creds), /signature/i);
    assert.throws(() => verifyPresigned({ method: 'GET', url, headers: { host: dns } }, { ...creds, accessKeyId: 'AKIAOTHER' }), /security token/);
    const old = await presign(new Date(Date.now() - 120_000));
    assert.throws(() => verifyPresigned({ method: 'GET', url: old, headers: { host: dns } }, creds), /expired/);
    assert.throws(() => verifyPresigned({ method: 'GET', url: '/openTunnel?remotePort=22', headers: { host: dns } }, creds), /Authentication Token/);
  });
});

describe('the Instance Connect agent', () => {
  it('is on the Ubuntu and Amazon Linux images, not on Debian\'s', () => {
    assert.ok(imageHasConnectAgent('ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001'));
    assert.ok(imageHasConnectAgent('al2023-ami-2023.9.20251014.0-kernel-6.1-x86_64'));
    assert.ok(!imageHasConnectAgent('debian-12-amd64-20251006-2257'));
  });
});
