// The HTTP front: loopback check, SigV4, faults, request log, then EC2 / Route 53 / admin dispatch.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SANDBOX_REGIONS, SANDBOX_DEFAULT_REGION } from './constants.js';
import { ApiError } from './errors.js';
import { ec2ErrorXml, handleEc2, MUTATING } from './ec2/index.js';
import { AUTOSCALING_MUTATING, autoScalingErrorXml, handleAutoScaling } from './autoscaling/index.js';
import { startAutoScalingController } from './autoscaling/controller.js';
import { Params } from './ec2/params.js';
import { faultError } from './faults.js';
import { requestId as newRequestId } from './ids.js';
import { route53ErrorXml, routeRoute53 } from './route53.js';
import { verifySigV4 } from './sigv4.js';
import { handleInstanceConnect, instanceConnectErrorJson } from './connect/api.js';
import type { Sandbox } from './world.js';
import { adminAuthorized, handleAdmin } from './admin.js';
import { MAX_ADMIN_BODY_BYTES, MAX_API_BODY_BYTES } from './limits.js';
import type { SandboxSecrets } from './private.js';
import type { Duplex } from 'node:stream';
import { tunnelUpgrades } from './connect/tunnel.js';

export function isLoopback(addr: string | undefined): boolean {
  return !!addr && (addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.'));
}

/** The body, or undefined once it passes `max` bytes (declared or sent): the rest is not read. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > max) { resolve(undefined); return; }
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) { resolve(undefined); req.pause(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body);
  res.writeHead(status, { 'Content-Type': 'text/xml;charset=UTF-8', 'Content-Length': String(buf.length), ...headers });
  res.end(buf);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createSandboxServer(s: Sandbox, info: () => Record<string, unknown>, secrets: SandboxSecrets): Server {
  const server = createServer((req, res) => {
    handle(s, req, res, info, secrets).catch((e: unknown) => {
      process.stderr.write(`sandbox: internal error: ${(e as Error)?.stack ?? e}\n`);
      if (!res.headersSent) send(res, 500, `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InternalError</Code><Message>An internal error has occurred</Message></Error></Errors><RequestID>${newRequestId()}</RequestID></Response>`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  const upgrade = tunnelUpgrades(s, secrets);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isLoopback(req.socket.remoteAddress)) { socket.destroy(); return; }
    try { upgrade(req, socket, head); } catch (e) {
      process.stderr.write(`sandbox: internal error in a tunnel: ${(e as Error)?.stack ?? e}\n`);
      socket.destroy();
    }
  });
  const controller = startAutoScalingController(s);
  server.on('close', () => controller.stop());
  return server;
}

/** Answers and closes: a client still sending a huge body gets the answer instead of waiting. */
function refuse(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' });
  res.end(body, () => res.socket?.destroy());
}

async function handle(s: Sandbox, req: IncomingMessage, res: ServerResponse, info: () => Record<string, unknown>, secrets: SandboxSecrets): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) { req.socket.destroy(); return; }
  const url = req.url ?? '/';
  const path = url.split('?')[0]!;

  if (path.startsWith('/_sandbox/')) {
    // Authenticated before the body is read: strangers cost nothing and learn nothing.
    if (!adminAuthorized(req.headers, secrets.adminToken)) return refuse(res, 403, JSON.stringify({ error: 'the sandbox admin API needs its token (Authorization: Bearer, from secrets.json in the sandbox folder)' }), 'application/json');
    const body = await readBody(req, MAX_ADMIN_BODY_BYTES);
    if (!body) return refuse(res, 413, JSON.stringify({ error: `admin request bodies are limited to ${MAX_ADMIN_BODY_BYTES} bytes` }), 'application/json');
    return handleAdmin(s, req.method ?? 'GET', url, body, res, info);
  }

  // EC2 and Auto Scaling share the Query protocol on `/`: the signature's scope names the service.
  const scope = /Credential=[^/,]*\/[^/,]*\/[^/,]*\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
  const service = path.startsWith('/2013-04-01/') ? 'route53' : scope === 'autoscaling' || scope === 'ec2-instance-connect' ? scope : 'ec2';
  const json = service === 'ec2-instance-connect';
  const errorXml = service === 'route53' ? route53ErrorXml : service === 'autoscaling' ? autoScalingErrorXml : json ? instanceConnectErrorJson : ec2ErrorXml;
  const errorType = json ? 'application/x-amz-json-1.1' : 'text/xml;charset=UTF-8';
  const body = await readBody(req, MAX_API_BODY_BYTES);
  if (!body) {
    const e = new ApiError('RequestEntityTooLarge', `Request bodies are limited to ${MAX_API_BODY_BYTES} bytes.`, 413);
    s.log({ time: new Date().toISOString(), service, action: 'Unknown', region: SANDBOX_DEFAULT_REGION, status: e.status, errorCode: e.code });
    return refuse(res, 413, errorXml(e, newRequestId()), errorType);
  }
  const rid = newRequestId();
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  let action = 'Unknown';
  let region = service === 'route53' ? 'us-east-1' : SANDBOX_DEFAULT_REGION;
  let ec2Params: Params | undefined;
  const r53 = service === 'route53' ? routeRoute53(req.method ?? 'GET', path) : undefined;
  const target = String(req.headers['x-amz-target'] ?? '');
  if (json) action = target.slice(target.indexOf('.') + 1) || 'Unknown';
  else if (service !== 'route53') {
    const form = req.method === 'POST' ? body.toString('utf8') : '';
    ec2Params = Params.fromQuery(query && form ? `${query}&${form}` : query || form);
    action = ec2Params.str('Action') ?? 'Unknown';
  } else action = r53!.action;

  const log = (status: number, errorCode?: string) => s.log({ time: new Date().toISOString(), service, action, region, status, errorCode });
  const fail = (e: ApiError) => {
    log(e.status, e.code);
    send(res, e.status, errorXml(e, rid), { 'x-amzn-RequestId': rid, ...(json ? { 'Content-Type': errorType, 'x-amzn-ErrorType': e.code } : {}) });
  };

  try {
    const v = verifySigV4({ method: req.method ?? 'GET', url, headers: req.headers, body }, service, secrets);
    if (v.service !== service) throw new ApiError('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'.`, 403);
    region = v.region;
    if (service !== 'route53' && !SANDBOX_REGIONS.includes(region)) throw new ApiError('AuthFailure', `The sandbox does not serve region '${region}' (it serves ${SANDBOX_REGIONS.join(', ')}).`, 401);
  } catch (e) {
    if (e instanceof ApiError) return fail(e);
    throw e;
  }

  const fault = s.faults.forRequest(service, action);
  if (fault?.kind === 'drop') { log(0, 'ConnectionDropped'); req.socket.destroy(); return; }
  if (fault?.kind === 'slow') await sleep(fault.delayMs ?? 3000);
  const ferr = fault ? faultError(fault, service) : undefined;
  if (ferr) return fail(ferr);

  s.settle();
  try {
    if (json) {
      const out = handleInstanceConnect(s, region, target, body, rid);
      await s.persister.flush();
      log(200);
      send(res, 200, out, { 'x-amzn-RequestId': rid, 'Content-Type': 'application/x-amz-json-1.1' });
    } else if (service === 'autoscaling') {
      if (!ec2Params!.str('Action')) throw new ApiError('MissingAction', 'The request must contain the parameter Action');
      const xml = await handleAutoScaling(s, region, ec2Params!, action, rid);
      if (AUTOSCALING_MUTATING.test(action)) await s.persister.flush();
      log(200);
      send(res, 200, xml, { 'x-amzn-RequestId': rid });
    } else if (service === 'ec2') {
      if (!ec2Params!.str('Action')) throw new ApiError('MissingAction', 'The request must contain the parameter Action');
      const xml = await handleEc2(s, region, ec2Params!, action, rid);
      if (MUTATING.test(action)) await s.persister.flush();
      log(200);
      send(res, 200, xml, { 'x-amzn-RequestId': rid });
    } else {
      const out = r53!.run(s, new URLSearchParams(query), body);
      if (req.method !== 'GET') await s.persister.flush();
      log(out.status);
      send(res, out.status, out.body, { 'x-amzn-RequestId': rid, ...out.headers });
    }
  } catch (e) {
    if (e instanceof ApiError) return fail(e);
    throw e;
  }
}
