// The EC2 Instance Connect Endpoint tunnel: GET /openTunnel?instanceConnectEndpointId&remotePort&
// privateIpAddress[&maxTunnelDuration] with a SigV4 presigned query, upgraded to a WebSocket whose binary
// frames carry the raw TCP stream to that private address and port in the endpoint's VPC.
import type { IncomingMessage } from 'node:http';
import { connect, isIPv4, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { SANDBOX_REGIONS } from '../constants.js';
import { ApiError } from '../errors.js';
import { findEndpoint } from '../ec2/eice.js';
import { faultError } from '../faults.js';
import { requestId } from '../ids.js';
import type { SandboxSecrets } from '../private.js';
import { verifyPresigned } from '../sigv4.js';
import type { Sandbox } from '../world.js';

const MAX_TUNNEL_S = 3600;

function refuse(socket: Duplex, status: number, e: ApiError): void {
  const body = JSON.stringify({ __type: e.code, Message: e.message });
  const reason = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-amzn-RequestId: ${requestId()}\r\nConnection: close\r\n\r\n${body}`);
}

interface Target { s: Sandbox; region: string; endpointId: string; vpcId: string; ip: string; port: number; maxMs: number }

/** Checks everything a handshake can be refused for; returns where the tunnel goes. */
function admit(s: Sandbox, req: IncomingMessage, secrets: SandboxSecrets): Target {
  const v = verifyPresigned({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, secrets);
  if (v.service !== 'ec2-instance-connect') throw new ApiError('SignatureDoesNotMatch', "Credential should be scoped to correct service: 'ec2-instance-connect'.", 403);
  if (!SANDBOX_REGIONS.includes(v.region)) throw new ApiError('InvalidRegion', `The sandbox does not serve region '${v.region}'.`, 403);
  const fault = s.faults.forRequest('ec2-instance-connect', 'OpenTunnel');
  const ferr = fault ? faultError(fault, 'ec2-instance-connect') : undefined;
  if (ferr) throw new ApiError(ferr.code, ferr.message, ferr.code === 'ThrottlingException' ? 429 : 403);
  const q = new URL(req.url ?? '/', 'http://sandbox').searchParams;
  const endpointId = q.get('instanceConnectEndpointId') ?? '';
  const ip = q.get('privateIpAddress') ?? '';
  const port = Number(q.get('remotePort') ?? 'NaN');
  const maxS = q.get('maxTunnelDuration') === null ? MAX_TUNNEL_S : Number(q.get('maxTunnelDuration'));
  if (!endpointId) throw new ApiError('InvalidParameter', 'instanceConnectEndpointId is required.', 400);
  if (!isIPv4(ip)) throw new ApiError('InvalidParameter', 'privateIpAddress must be an IPv4 address.', 400);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ApiError('InvalidParameter', 'remotePort must be 1..65535.', 400);
  if (!Number.isInteger(maxS) || maxS < 1 || maxS > MAX_TUNNEL_S) throw new ApiError('InvalidParameter', `maxTunnelDuration must be 1..${MAX_TUNNEL_S} seconds.`, 400);
  const r = s.region(v.region);
  let e;
  try { e = findEndpoint(s, r, endpointId); } catch (x) { throw new ApiError((x as ApiError).code, (x as ApiError).message, 404); }
  if (e.state !== 'create-complete') throw new ApiError('IncorrectState', `The EC2 Instance Connect Endpoint ${e.id} is ${e.state}.`, 409);
  return { s, region: v.region, endpointId: e.id, vpcId: e.vpcId, ip, port, maxMs: maxS * 1000 };
}

/** The instance's side: its SSH endpoint for port 22, else a TCP connection to its loopback address. */
function openTarget(t: Target, stream: Duplex): string | undefined {
  const r = t.s.region(t.region);
  const i = Object.values(r.instances).find((x) => x.state === 'running' && x.privateIp === t.ip && (x.vpcId ?? '') === t.vpcId)
    ?? Object.values(r.instances).find((x) => x.state === 'running' && x.privateIp === t.ip && !x.vpcId && t.vpcId === defaultVpcOf(t));
  if (!i) return `Unable to connect to ${t.ip}:${t.port}: no running instance has that address in ${t.vpcId}.`;
  if (t.port === 22) {
    const ep = t.s.endpoints.get(i.id);
    if (!ep) return `Unable to connect to ${t.ip}:22: connection refused.`;
    ep.inject(stream);
    return undefined;
  }
  const sock: Socket = connect({ host: i.sshHost ?? i.publicIp, port: t.port });
  sock.on('error', () => { stream.destroy(); });
  stream.on('error', () => sock.destroy());
  stream.pipe(sock).pipe(stream);
  return undefined;
}

function defaultVpcOf(t: Target): string | undefined {
  return Object.values(t.s.region(t.region).vpcs ?? {}).find((v) => v.isDefault)?.id;
}

export function tunnelUpgrades(s: Sandbox, secrets: SandboxSecrets): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    const log = (status: number, errorCode?: string, region = 'us-east-1') => s.log({ time: new Date().toISOString(), service: 'ec2-instance-connect', action: 'OpenTunnel', region, status, errorCode });
    if (path !== '/openTunnel') { log(404, 'NotFound'); return refuse(socket, 404, new ApiError('NotFound', `No WebSocket route ${path}.`)); }
    let t: Target;
    try { s.settle(); t = admit(s, req, secrets); } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      log(e.status, e.code);
      return refuse(socket, e.status, e);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      log(101, undefined, t.region);
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      ws.on('message', (_d, isBinary) => { if (!isBinary) ws.close(1003, 'Only binary frames carry the stream.'); });
      const timer = setTimeout(() => ws.close(1000, 'Maximum tunnel duration reached.'), t.maxMs);
      timer.unref();
      ws.on('close', () => clearTimeout(timer));
      const err = openTarget(t, stream);
      if (err) ws.close(1011, err.slice(0, 120));
    });
  };
}
