// Admin API under /_sandbox/ (JSON, loopback only, bearer token from secrets.json): health, state, reset, delays, faults, request log, debug.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { SANDBOX_REGIONS } from './constants.js';
import { parseDelays } from './delays.js';
import { bulkInstances } from './ec2/instances.js';
import { parseFaults } from './faults.js';
import { FIXED_INSTANCE_PROFILES } from './ec2/placement.js';
import type { Sandbox } from './world.js';

function json(res: ServerResponse, status: number, v: unknown): void {
  const buf = Buffer.from(JSON.stringify(v));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(buf.length) });
  res.end(buf);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <token>`, compared in constant time (hashes first, so lengths never leak). */
export function adminAuthorized(headers: IncomingHttpHeaders, token: string): boolean {
  const m = /^Bearer (\S+)$/.exec(headers.authorization ?? '');
  return !!m && timingSafeEqual(digest(m[1]!), digest(token));
}

function summary(s: Sandbox) {
  const regions: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(s.world.regions)) {
    const byState: Record<string, number> = {};
    for (const i of Object.values(r.instances)) byState[i.state] = (byState[i.state] ?? 0) + 1;
    regions[name] = {
      instances: byState, keyPairs: Object.keys(r.keyPairs).length, securityGroups: Object.keys(r.securityGroups).length,
      volumes: Object.keys(r.volumes).length, snapshots: Object.keys(r.snapshots).length,
      vpcs: Object.keys(r.vpcs ?? {}).length, subnets: Object.keys(r.subnets ?? {}).length,
      addresses: Object.keys(r.addresses ?? {}).length, instanceConnectEndpoints: Object.keys(r.instanceConnectEndpoints ?? {}).length,
    };
  }
  return {
    regions, hostedZones: Object.keys(s.world.zones).length,
    records: Object.values(s.world.zones).reduce((n, z) => n + z.records.length, 0),
    sshEndpoints: s.endpoints.size, delays: s.delays, faults: s.faults.rules, requestsLogged: s.requestLog.length,
  };
}

export async function handleAdmin(s: Sandbox, method: string, url: string, body: Buffer, res: ServerResponse, info: () => Record<string, unknown>): Promise<void> {
  const u = new URL(url, 'http://127.0.0.1');
  const route = u.pathname.replace(/^\/_sandbox\//, '').replace(/\/+$/, '');
  let input: Record<string, unknown> = {};
  if (body.length) {
    try { input = JSON.parse(body.toString('utf8')) as Record<string, unknown>; } catch { return json(res, 400, { error: 'body must be JSON' }); }
  }
  try {
    s.settle();
    const key = `${method} ${route}`;
    switch (key) {
      case 'GET health': return json(res, 200, { ok: true, ...info() });
      case 'GET state': return json(res, 200, summary(s));
      case 'POST reset': await s.reset(); return json(res, 200, { ok: true });
      case 'GET config': return json(res, 200, { delays: s.delays });
      case 'POST config': {
        if (input.delays !== undefined) s.delays = parseDelays(input.delays, s.delays);
        s.settle();
        return json(res, 200, { delays: s.delays });
      }
      case 'GET faults': return json(res, 200, { rules: s.faults.rules });
      case 'POST faults': s.faults.set(parseFaults(input)); return json(res, 200, { rules: s.faults.rules });
      case 'DELETE faults': s.faults.clear(); return json(res, 200, { rules: [] });
      case 'GET clock': return json(res, 200, { now: new Date(s.now()).toISOString(), offsetMs: s.world.clockOffsetMs ?? 0 });
      case 'POST clock': {
        const ms = Number(input.advanceMs);
        if (!Number.isFinite(ms) || ms < 0 || ms > 366 * 86400_000) return json(res, 400, { error: 'advanceMs must be a number of milliseconds, 0 to a year (the clock only moves forward)' });
        s.advanceClock(ms);
        await s.persister.flush();
        return json(res, 200, { now: new Date(s.now()).toISOString(), offsetMs: s.world.clockOffsetMs ?? 0 });
      }
      case 'GET instance-profiles': return json(res, 200, { profiles: [...FIXED_INSTANCE_PROFILES, ...(s.world.instanceProfiles ?? [])] });
      case 'POST instance-profiles': {
        const name = String(input.name ?? '');
        if (!/^[\w+=,.@-]{1,128}$/.test(name)) return json(res, 400, { error: 'name must be 1-128 of letters, digits and +=,.@_-' });
        const list = (s.world.instanceProfiles ??= []);
        if (!list.includes(name) && !FIXED_INSTANCE_PROFILES.includes(name)) list.push(name);
        s.changed();
        await s.persister.flush();
        return json(res, 200, { profiles: [...FIXED_INSTANCE_PROFILES, ...list] });
      }
      case 'GET requests': return json(res, 200, { requests: s.requestLog });
      case 'DELETE requests': s.requestLog = []; return json(res, 200, { requests: [] });
      case 'POST bulk-instances': {
        const region = String(input.region ?? 'us-east-1');
        const count = Number(input.count ?? 0);
        if (!SANDBOX_REGIONS.includes(region)) return json(res, 400, { error: `unknown region ${region}` });
        bulkInstances(s, region, count, String(input.namePrefix ?? 'bulk-'));
        await s.persister.flush();
        return json(res, 200, { created: count });
      }
    }
    const m = /^instances\/(i-[0-9a-f]+)\/ssh$/.exec(route);
    if (m && method === 'GET') {
      for (const r of Object.values(s.world.regions)) {
        const i = r.instances[m[1]!];
        if (i) {
          const ep = s.endpoints.get(i.id);
          return json(res, 200, { host: ep?.host ?? i.sshHost ?? null, port: ep?.port ?? i.sshPort ?? null, listening: !!ep, state: i.state, publicIp: i.publicIp, hostKeyFingerprint: i.hostKey?.fingerprint });
        }
      }
      return json(res, 404, { error: `no instance ${m[1]}` });
    }
    return json(res, 404, { error: `no admin route ${method} /_sandbox/${route}` });
  } catch (e) {
    return json(res, 400, { error: (e as Error).message });
  }
}
