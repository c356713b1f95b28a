// EC2 Instance Connect Endpoints: find the ones in a VPC, and open a tunnel through one to an instance's
// private address. The tunnel is a WebSocket to wss://<endpoint DNS name>/openTunnel whose URL is
// presigned with SigV4 (service "ec2-instance-connect", 60 s), as the AWS CLI's `open-tunnel` does; its
// binary messages carry the TCP stream, which ssh2 takes as its socket (`sock`).
import { createHash, createHmac } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { AwsContext } from '../aws.js';
import type { Ec2 } from '../ec2.js';
import { AwsRefusedError, CancelledError, ConnectionError } from '../errors.js';
import type { EndpointInfo } from './route.js';

/** How long a presigned tunnel URL is good for (AWS CLI and ec2ssh use 60 s). */
export const TUNNEL_URL_EXPIRES_S = 60;
/** The IAM action opening a tunnel needs (named in the refusal). */
export const OPEN_TUNNEL_ACTION = 'ec2-instance-connect:OpenTunnel';

/** The endpoints in a region (all, or those of one VPC), as DescribeInstanceConnectEndpoints gives them. */
export async function describeEndpoints(ec2: Ec2, q: { vpcIds?: string[]; ids?: string[] } = {}): Promise<EndpointInfo[]> {
  return (await ec2.instanceConnectEndpoints(q))
    .filter((e) => e.InstanceConnectEndpointId)
    .map((e) => ({ id: e.InstanceConnectEndpointId!, vpcId: e.VpcId, subnetId: e.SubnetId, state: e.State, dnsName: e.DnsName, fipsDnsName: e.FipsDnsName }));
}

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface TunnelTarget {
  endpoint: EndpointInfo;
  /** The instance's private (or IPv6) address. */
  address: string;
  port: number;
  region: string;
}

/**
 * Pure but for the clock: where the tunnel's WebSocket goes. On AWS, the endpoint's own DNS name over
 * wss; with an endpoint override (a local target, --endpoint-url), that URL's host, ws or wss as it says.
 */
export function tunnelBase(endpoint: EndpointInfo, override: string | undefined): { protocol: 'wss:' | 'ws:'; hostname: string; port?: number } {
  if (override) {
    const u = new URL(override);
    return { protocol: u.protocol === 'http:' ? 'ws:' : 'wss:', hostname: u.hostname, port: u.port ? Number(u.port) : undefined };
  }
  if (!endpoint.dnsName) throw new ConnectionError(`EC2 Instance Connect Endpoint ${endpoint.id} has no DNS name yet`, { hint: 'wait for its state create-complete' });
  // From AWS, so checked before a signed URL goes there: a host name and nothing else (no port, path or user).
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(endpoint.dnsName) || endpoint.dnsName.length > 253) {
    throw new ConnectionError(`EC2 Instance Connect Endpoint ${endpoint.id} has an unusable DNS name ${JSON.stringify(endpoint.dnsName)}`);
  }
  return { protocol: 'wss:', hostname: endpoint.dnsName };
}

/** The presigned wss:// URL of a tunnel (it carries a signature, never a secret key; still not printed). */
export async function presignTunnelUrl(aws: Pick<AwsContext, 'credentials' | 'endpoints'>, t: TunnelTarget, now = new Date()): Promise<string> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const base = tunnelBase(t.endpoint, aws.endpoints.instanceConnect);
  const host = base.port ? `${base.hostname.includes(':') ? `[${base.hostname}]` : base.hostname}:${base.port}` : base.hostname;
  const signer = new SignatureV4({ credentials: aws.credentials, region: t.region, service: 'ec2-instance-connect', sha256: Sha256, uriEscapePath: true });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port,
      path: '/openTunnel',
      query: { instanceConnectEndpointId: t.endpoint.id, remotePort: String(t.port), privateIpAddress: t.address },
      headers: { host },
    },
    { expiresIn: TUNNEL_URL_EXPIRES_S, signingDate: now },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v ?? '']]))
    .map(([k, v]) => `${rfc3986(k!)}=${rfc3986(String(v))}`)
    .join('&');
  return `${base.protocol}//${host}/openTunnel?${query}`;
}

/**
 * Opens the tunnel: resolves with a Duplex carrying the instance's TCP stream once the WebSocket is open.
 * A 403 is a missing permission (OpenTunnel) or a refused address; other failures are ConnectionErrors.
 */
export async function openTunnel(aws: Pick<AwsContext, 'credentials' | 'endpoints'>, t: TunnelTarget, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Duplex> {
  const url = await presignTunnelUrl(aws, t);
  const { default: WebSocket, createWebSocketStream } = await import('ws');
  if (o.signal?.aborted) throw new CancelledError('interrupted before opening the tunnel');
  const where = `EC2 Instance Connect Endpoint ${t.endpoint.id}`;
  return new Promise<Duplex>((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: o.timeoutMs ?? 20_000, perMessageDeflate: false });
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        ws.terminate();
        reject(err);
      } else {
        const stream = createWebSocketStream(ws);
        // ssh2 sets TCP_NODELAY on its socket; the WebSocket's own socket is where it matters.
        (stream as Duplex & { setNoDelay?: (v: boolean) => void }).setNoDelay = () => {};
        resolve(stream);
      }
    };
    const onAbort = () => finish(new CancelledError('interrupted while opening the tunnel'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('upgrade', (res) => res.socket.setNoDelay(true));
    ws.once('open', () => finish());
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.length < 16 && chunks.push(c));
      res.on('end', () => finish(tunnelRefusal(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), where, t)));
      res.on('error', () => finish(tunnelRefusal(res.statusCode ?? 0, '', where, t)));
    });
    ws.once('error', (err: Error & { code?: string }) =>
      finish(new ConnectionError(`cannot open a tunnel through ${where}: ${err.code ?? err.message}`, { cause: err, hint: 'check the network and the endpoint\'s state: aws ec2 describe-instance-connect-endpoints' })),
    );
  });
}

/** Pure: the error for a tunnel the endpoint would not open (HTTP status, reply body). */
export function tunnelRefusal(status: number, body: string, where: string, t: Pick<TunnelTarget, 'address' | 'port'>): Error {
  const said = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const detail = said ? `: ${said}` : '';
  if (status === 401 || status === 403) {
    return new AwsRefusedError(`${where} refused the tunnel to ${t.address} port ${t.port} (HTTP ${status})${detail}`, 'AccessDenied', {
      hint: `allow the IAM action ${OPEN_TUNNEL_ACTION} on the endpoint (its remotePort and privateIpAddress conditions must allow port ${t.port} and ${t.address})`,
    });
  }
  return new ConnectionError(`${where} did not open the tunnel to ${t.address} port ${t.port} (HTTP ${status})${detail}`, {
    hint: "check that the instance's security group allows SSH from the endpoint's security group",
  });
}
